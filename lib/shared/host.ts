/**
 * Host names and IP addresses as a user types them into a host field: one check for the
 * plc-connection's dialog and its runtime, so both accept and reject the same text.
 */

/** Why a host field's text is not a host, as a catalogue key with its parameters; undefined when it is one. */
export type HostProblem =
  | { key: 'empty' }
  | { key: 'hostWithPort'; params: { host: string; port: number } }
  | { key: 'ipv4Octet'; params: { octet: string } }
  | { key: 'notHost' };

const IPV4_LIKE = /^\d{1,3}(\.\d{1,3}){3}$/;
// RFC 1123 labels (letters, digits, inner hyphens; up to 63 characters each), plus the
// underscore that container and Windows host names use and resolvers accept.
const HOST_NAME = /^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;
const IPV6 = /^\[?[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\]?$/;

/** "192.168.0.1:102" -> host and port; undefined when the text holds no port. */
export function splitHostPort(text: string): { host: string; port: number } | undefined {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:]+):(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { host: m[1].replace(/^\[|\]$/g, ''), port } : undefined;
}

export function hostProblem(text: string): HostProblem | undefined {
  const host = text.trim();
  if (host === '') return { key: 'empty' };
  const withPort = splitHostPort(host);
  if (withPort && hostProblem(withPort.host) === undefined) return { key: 'hostWithPort', params: withPort };
  if (IPV4_LIKE.test(host)) {
    const bad = host.split('.').find((octet) => Number(octet) > 255);
    return bad === undefined ? undefined : { key: 'ipv4Octet', params: { octet: bad } };
  }
  // A name made only of digits and dots is a mistyped address, not a host name.
  if (/^[\d.]+$/.test(host)) return { key: 'notHost' };
  if (HOST_NAME.test(host)) return undefined;
  if (IPV6.test(host) && isIpv6(host.replace(/^\[|\]$/g, ''))) return undefined;
  return { key: 'notHost' };
}

function isIpv6(text: string): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === '' ? [] : h.split(':')));
  const last = groups[groups.length - 1] ?? '';
  const v4Tail = IPV4_LIKE.test(last) && last.split('.').every((o) => Number(o) <= 255);
  const hexGroups = v4Tail ? groups.slice(0, -1) : groups;
  if (!hexGroups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  const size = hexGroups.length + (v4Tail ? 2 : 0);
  return halves.length === 2 ? size < 8 : size === 8;
}

/** The English text of a host problem, for the runtime's errors (the dialog uses its catalogue). */
export function hostProblemText(problem: HostProblem, host: string): string {
  switch (problem.key) {
    case 'empty': return 'host is empty';
    case 'hostWithPort': return `host "${problem.params.host}:${problem.params.port}" contains a port: enter ${problem.params.host} as host and ${problem.params.port} as port`;
    case 'ipv4Octet': return `host: ${problem.params.octet} is not an IPv4 address part (0..255)`;
    case 'notHost': return `host "${host}" is not a host name or IP address`;
  }
}
