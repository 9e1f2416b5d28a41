/**
 * The application's data contract (FRONTEND-CONTRACT.md), in one place: collection and field
 * names, the shapes of productionrecords, hourlyData entries and stoppages, what operators own,
 * the dating rule, the merge, and the queries that read configs, mappings and day documents.
 * Nothing outside this module knows a field name of the application.
 */
export * from './day';
export * from './machine-scope';
export * from './names';
export * from './production-records';
export * from './queries';
export * from './snapshot';
export * from './stoppages';
