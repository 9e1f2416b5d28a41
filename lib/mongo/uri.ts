/**
 * MongoDB connection strings (mongodb:// and mongodb+srv://, several hosts): split into parts so
 * the editor and the runtime can move a password out of the URI into the credentials and pick
 * the URI's database. WHATWG URL cannot parse multi-host strings, hence a small parser.
 */

export interface MongoUriParts {
  scheme: 'mongodb' | 'mongodb+srv';
  username?: string;
  password?: string;
  /** "host1:27017,host2:27017" */
  hosts: string;
  database?: string;
  /** The query string without "?", as given. */
  query: string;
}

const URI = /^(mongodb(?:\+srv)?):\/\/(?:([^@/?#]*)@)?([^/?#]+)(?:\/([^?#]*))?(?:\?([^#]*))?$/;

/** Parses a connection string; throws an Error (without the URI's credentials) when it is not one. */
export function parseMongoUri(uri: string): MongoUriParts {
  const m = URI.exec(uri.trim());
  if (!m) throw new Error('not a MongoDB connection string (expected mongodb://host[:port][,host...]/[database][?options] or mongodb+srv://...)');
  const [, scheme, userinfo, hosts, database, query] = m;
  const parts: MongoUriParts = { scheme: scheme as MongoUriParts['scheme'], hosts, query: query ?? '' };
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    parts.username = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
    if (colon >= 0) parts.password = decodeURIComponent(userinfo.slice(colon + 1));
  }
  if (database) parts.database = decodeURIComponent(database);
  return parts;
}

/** The connection string for parts; user-info only when `withCredentials`. */
export function formatMongoUri(parts: MongoUriParts, withCredentials = false): string {
  let userinfo = '';
  if (withCredentials && parts.username !== undefined) {
    userinfo = encodeURIComponent(parts.username) + (parts.password !== undefined ? ':' + encodeURIComponent(parts.password) : '') + '@';
  }
  const db = parts.database ? encodeURIComponent(parts.database) : '';
  return `${parts.scheme}://${userinfo}${parts.hosts}/${db}${parts.query ? '?' + parts.query : ''}`;
}

/** A URI with its credentials taken out: what the editor stores and exports. */
export function splitCredentials(uri: string): { uri: string; username?: string; password?: string } {
  const parts = parseMongoUri(uri);
  return { uri: formatMongoUri(parts), username: parts.username, password: parts.password };
}
