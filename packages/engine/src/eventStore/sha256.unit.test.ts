import { createHash, randomBytes } from 'node:crypto';
import { sha256, sha256Hex } from './sha256';

const native = (input: string | Uint8Array): string => createHash('sha256').update(input).digest('hex');

describe('sha256 (pure TypeScript)', () => {
  it('gives the digests of the FIPS 180-4 / NIST test vectors', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
    expect(sha256Hex('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu')).toBe(
      'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
    );
    expect(sha256Hex('a'.repeat(1_000_000))).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });

  it('agrees with node:crypto on every length across the padding boundaries, on random bytes', () => {
    for (let length = 0; length <= 200; length++) {
      const bytes = new Uint8Array(randomBytes(length));
      expect({ length, hex: sha256Hex(bytes) }).toEqual({ length, hex: native(bytes) });
    }
    const big = new Uint8Array(randomBytes(70_001));
    expect(sha256Hex(big)).toBe(native(big));
  });

  it('hashes a string as its UTF-8 bytes', () => {
    for (const text of ['Zoë Ångström — 東京 — 🚀📚', '\u0000\u2028"\\', 'e\u0301']) expect(sha256Hex(text)).toBe(native(Buffer.from(text, 'utf8')));
    expect(sha256('abc')).toHaveLength(32);
  });
});
