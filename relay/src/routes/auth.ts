/**
 * Bearer-token guard for the admin API and /metrics: compares SHA-256 digests with
 * timingSafeEqual, so neither the comparison time nor the equal-length requirement leaks the
 * token or its length.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

const digest = (s: string) => createHash('sha256').update(s).digest();

export interface GuardOptions {
  /** The expected token; undefined disables the routes (404 with `disabledMessage`). */
  token: string | undefined;
  disabledMessage: string;
}

export function tokenMatches(header: string | undefined, expected: Buffer): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m !== null && timingSafeEqual(digest(m[1]!), expected);
}

export function bearerGuard(opts: GuardOptions) {
  const expected = opts.token === undefined ? undefined : digest(opts.token);
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (!expected) {
      return reply.code(404).send({ error: 'not_found', message: opts.disabledMessage });
    }
    if (!tokenMatches(req.headers.authorization, expected)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'unauthorized', message: "send Authorization: Bearer <the relay's LAYERSYNC_ADMIN_TOKEN>" });
    }
  };
}

// ── Site-scoped admin access ──

/** Who an admin request speaks for: the operator (admin token) or one site (signed with its secret). */
export type AdminScope = { kind: 'operator' } | { kind: 'site'; siteId: string };

const scopes = new WeakMap<FastifyRequest, AdminScope>();

/** The scope the guard established for this request (operator when none was recorded). */
export function scopeOf(req: FastifyRequest): AdminScope {
  return scopes.get(req) ?? { kind: 'operator' };
}

export function setScope(req: FastifyRequest, scope: AdminScope): void {
  scopes.set(req, scope);
}
