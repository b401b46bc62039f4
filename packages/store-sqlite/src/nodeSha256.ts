import { hash } from 'node:crypto';
import type { Sha256Hex } from '@interlend/engine';

/**
 * node:crypto's one-shot SHA-256, hex: the same digests as the engine's `sha256Hex`, about ten
 * times faster (and half the time of createHash().update().digest() on an 885-byte event).
 */
export const nodeSha256Hex: Sha256Hex = (input) => hash('sha256', input, 'hex');
