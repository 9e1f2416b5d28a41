/**
 * Credentials never leave the process: every error and log line the package produces about a
 * connection passes through redact().
 */

// scheme://user:pass@host or scheme://user@host: the whole user-info part goes.
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^/?#\s@]+@/gi;

/** `text` with URI user-info and each of `secrets` replaced by "***". */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text.replace(USERINFO, '$1***@');
  for (const secret of secrets) {
    // Short secrets would blank out ordinary words; the URI rule covers where they usually appear.
    if (secret && secret.length >= 3) out = out.split(secret).join('***');
  }
  return out;
}

/** An Error's message (or any thrown value) with credentials redacted. */
export function redactError(err: unknown, secrets: readonly (string | undefined)[] = []): string {
  const message = err instanceof Error ? err.message : String(err);
  return redact(message, secrets);
}
