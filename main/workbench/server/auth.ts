/**
 * The token that guards `clwb serve`, as Jupyter does it: a random token in the
 * printed URL; the first page load with `?token=` sets an HttpOnly, SameSite=Strict
 * cookie (named per port, since cookies ignore ports) and redirects to the same
 * page without the token. Scripts may send `Authorization: Bearer <token>` instead.
 * Every request (page, asset, API, WebSocket) without a valid token is refused.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export function createToken(): string {
  return randomBytes(24).toString('hex');
}

export function tokensEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function cookieName(port: number): string {
  return `clwb-token-${port}`;
}

/** The value of cookie `name`, if the request carries it. */
export function readCookie(request: IncomingMessage, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index < 0) continue;
    if (part.slice(0, index).trim() === name) {
      try {
        return decodeURIComponent(part.slice(index + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export type Credential = 'query' | 'cookie' | 'bearer';

/** Which valid credential the request carries, if any. */
export function authenticate(request: IncomingMessage, url: URL, token: string, port: number): Credential | undefined {
  const query = url.searchParams.get('token');
  if (query !== null && tokensEqual(query, token)) return 'query';
  const cookie = readCookie(request, cookieName(port));
  if (cookie !== undefined && tokensEqual(cookie, token)) return 'cookie';
  const authorization = request.headers.authorization;
  if (authorization?.startsWith('Bearer ') && tokensEqual(authorization.slice('Bearer '.length).trim(), token)) return 'bearer';
  return undefined;
}

export function tokenCookie(token: string, port: number): string {
  return `${cookieName(port)}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`;
}
