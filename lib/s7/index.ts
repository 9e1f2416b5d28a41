export * from './address';
export * from './decode';
export * from './planner';
export * from './connection';
