export * from './address';
export * from './decode';
export * from './planner';
export * from './connection';
export { limitsFor, snap7Slots, threadPoolSize, ThreadSlots, type SlotKind, type SlotLimits, type SlotUsage } from './thread-slots';
