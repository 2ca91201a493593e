/** The relay's version, as in relay/package.json (a test keeps the two equal). Sent to site-signed admin callers. */
export const RELAY_VERSION = '0.1.0';
