import { hash } from 'node:crypto';
import type { Sha256Hex } from '@interlend/engine';

/** node:crypto's one-shot SHA-256, hex: the same digests as the engine's `sha256Hex` (and as store-sqlite's). */
export const nodeSha256Hex: Sha256Hex = (input) => hash('sha256', input, 'hex');
