/**
 * The palette colours of the package's node families. Types, not constants: each registerType
 * call writes its colour as a literal (Node-RED's static readers of editor code, such as
 * node-red-dev validate, understand only literals) and `satisfies` one of these, so the nodes of
 * a family cannot drift apart.
 */
export type PlcColor = '#3FADB5';
export type ProductionColor = '#5BB9BF';
export type MongoColor = '#2E8C93';
