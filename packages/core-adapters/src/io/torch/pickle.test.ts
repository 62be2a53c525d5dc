import { describe, expect, it } from 'vitest';
import { restrictedUnpickle } from './pickle.js';

const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

describe('restrictedUnpickle', () => {
  it('reads dicts, tuples, ints, floats and strings (protocol 2)', () => {
    // {'a': (1, 300, -2, 1.5, True, None), 'b': []}  as pickle.dumps(..., protocol=2) writes it
    const value = restrictedUnpickle(
      bytes(
        '\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01(K\x01M,\x01J\xfe\xff\xff\xffG?\xf8\x00\x00\x00\x00\x00\x00\x88Ntq\x02X\x01\x00\x00\x00bq\x03]q\x04u.',
      ),
      't.pkl',
    );
    expect(value).toEqual(
      new Map<string, unknown>([
        ['a', [1, 300, -2, 1.5, true, null]],
        ['b', []],
      ]),
    );
  });
  it('rejects globals outside the allow-list, by GLOBAL and by STACK_GLOBAL', () => {
    expect(() =>
      restrictedUnpickle(bytes('\x80\x02cbuiltins\neval\nX\x01\x00\x00\x001\x85R.'), 'a.pkl'),
    ).toThrow("a.pkl: global 'builtins.eval' is not allowed");
    expect(() =>
      restrictedUnpickle(bytes('\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x02id\x85R.'), 'b.pkl'),
    ).toThrow("b.pkl: global 'os.system' is not allowed");
  });
  it('rejects opcodes a tensor checkpoint never needs (INST, OBJ, NEWOBJ)', () => {
    expect(() => restrictedUnpickle(bytes('(ios\nsystem\n.'), 'c.pkl')).toThrow(
      'c.pkl: pickle opcode 0x69 is not allowed in a tensor checkpoint',
    );
    expect(() => restrictedUnpickle(bytes('\x80\x02ccollections\nOrderedDict\n)\x81.'), 'd.pkl')).toThrow(
      'opcode 0x81 is not allowed',
    );
  });
  it('refuses to call what is not a constructor and a persistent id that is not a storage', () => {
    expect(() => restrictedUnpickle(bytes('\x80\x02ctorch\nFloatStorage\n)R.'), 'e.pkl')).toThrow(
      "e.pkl: cannot call global 'torch.FloatStorage'",
    );
    expect(() => restrictedUnpickle(bytes('\x80\x02X\x01\x00\x00\x00xQ.'), 'f.pkl')).toThrow(
      'f.pkl: persistent id "x" is not a tensor storage',
    );
    expect(() => restrictedUnpickle(bytes('\x80\x02}q\x00'), 'g.pkl')).toThrow('g.pkl: truncated pickle');
  });
});
