import { hash } from 'node:crypto';
import { secureRandomBase64url } from '../random-bytes.js';

/** 32 random bytes, base64url: 256 bits, for session ids, states, PKCE verifiers and nonces. */
export function randomHandle(): string {
  return secureRandomBase64url(32);
}

/** Handles this gateway issues: 43 base64url characters. */
export const HANDLE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** RFC 7636 §4.2: code_challenge = BASE64URL(SHA256(ASCII(code_verifier))). */
export function pkceChallenge(verifier: string): string {
  // The verifier is base64url, so its UTF-8 and its ASCII are the same bytes.
  return hash('sha256', verifier, 'base64url');
}
