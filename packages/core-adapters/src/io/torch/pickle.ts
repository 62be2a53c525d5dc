/**
 * A restricted unpickler for PyTorch checkpoints (`data.pkl` inside a `torch.save` zip). It
 * interprets only the opcodes a saved dict of tensors uses and never executes anything: GLOBAL
 * resolves names against a fixed allow-list of harmless constructors (below), and any other
 * name — `os.system`, `builtins.eval`, `subprocess.Popen`, … — is an error naming the file and
 * the global. Persistent ids (tensor storages) are handed to the caller as plain tuples.
 */

/** A storage reference from a persistent id: `('storage', <type>, key, location, numel)`. */
export interface PickledStorage {
  kind: 'storage';
  /** The storage class's name, e.g. `FloatStorage`. */
  storageType: string;
  key: string;
  location: string;
  numel: number;
}

/** A tensor as `torch._utils._rebuild_tensor_v2` describes it (nothing is read yet). */
export interface PickledTensor {
  kind: 'tensor';
  storage: PickledStorage;
  storageOffset: number;
  size: number[];
  stride: number[];
}

/** What an allow-listed global is: a constructor called by REDUCE, or a storage type marker. */
interface AllowedGlobal {
  kind: 'global';
  name: string;
  call?: (args: unknown[], where: string) => unknown;
}

/** The storage classes torch pickles (legacy typed-storage names). */
export const STORAGE_TYPES = [
  'FloatStorage',
  'DoubleStorage',
  'HalfStorage',
  'BFloat16Storage',
  'LongStorage',
  'IntStorage',
  'ShortStorage',
  'CharStorage',
  'ByteStorage',
  'BoolStorage',
] as const;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isIntTuple = (v: unknown): v is number[] => Array.isArray(v) && v.every(isInt);

function rebuildTensor(args: unknown[], where: string): PickledTensor {
  const [storage, offset, size, stride] = args;
  if (
    !(storage && (storage as PickledStorage).kind === 'storage') ||
    !isInt(offset) ||
    !isIntTuple(size) ||
    !isIntTuple(stride) ||
    size.length !== stride.length
  ) {
    throw new Error(`${where}: _rebuild_tensor_v2 called with unexpected arguments`);
  }
  return { kind: 'tensor', storage: storage as PickledStorage, storageOffset: offset, size, stride };
}

function allowList(): Map<string, AllowedGlobal> {
  const allowed = new Map<string, AllowedGlobal>();
  const add = (name: string, call?: AllowedGlobal['call']) =>
    allowed.set(name, { kind: 'global', name, call });
  add('collections.OrderedDict', (args, where) => {
    if (args.length !== 0) throw new Error(`${where}: OrderedDict called with arguments`);
    return new Map<unknown, unknown>();
  });
  add('torch._utils._rebuild_tensor_v2', rebuildTensor);
  add('torch._utils._rebuild_parameter', (args, where) => {
    const data = args[0] as PickledTensor | undefined;
    if (data?.kind !== 'tensor') throw new Error(`${where}: _rebuild_parameter called without a tensor`);
    return data;
  });
  for (const type of STORAGE_TYPES) add(`torch.${type}`);
  return allowed;
}

/**
 * Unpickle `bytes` (protocols 2–5) allowing only the globals above; a persistent id must be a
 * tensor storage reference. `where` names the file in errors.
 */
export function restrictedUnpickle(bytes: Uint8Array, where: string): unknown {
  const allowed = allowList();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder('utf-8', { fatal: true });
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  const fail = (message: string): never => {
    throw new Error(`${where}: ${message} (byte ${pos})`);
  };
  const need = (n: number) => {
    if (pos + n > bytes.length) fail('truncated pickle');
  };
  const u8 = () => {
    need(1);
    return bytes[pos++] as number;
  };
  const u16 = () => {
    need(2);
    pos += 2;
    return view.getUint16(pos - 2, true);
  };
  const u32 = () => {
    need(4);
    pos += 4;
    return view.getUint32(pos - 4, true);
  };
  const i32 = () => {
    need(4);
    pos += 4;
    return view.getInt32(pos - 4, true);
  };
  const raw = (n: number) => {
    need(n);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const line = () => {
    const end = bytes.indexOf(10, pos);
    if (end < 0) fail('truncated pickle');
    const value = text.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return value;
  };
  const pop = () => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1]!))
      fail('stack underflow');
    return stack.pop();
  };
  const popMark = () => {
    const at = marks.pop();
    if (at === undefined) fail('MARK expected');
    return stack.splice(at as number);
  };
  const top = () => (stack.length ? stack[stack.length - 1] : fail('stack underflow'));
  const findGlobal = (module: string, name: string) => {
    const full = `${module}.${name}`;
    const found = allowed.get(full);
    if (!found) {
      fail(
        `global '${full}' is not allowed: only tensors, their storages and OrderedDict may appear in a checkpoint (the file may try to run code)`,
      );
    }
    return found;
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (items.length % 2) fail('odd number of dict items');
    for (let i = 0; i < items.length; i += 2) {
      const key = items[i];
      if (target instanceof Map) target.set(key, items[i + 1]);
      else if (target && typeof target === 'object' && !Array.isArray(target) && typeof key === 'string') {
        (target as Record<string, unknown>)[key] = items[i + 1];
      } else fail('SETITEM on something that is not a dict');
    }
  };

  while (true) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail('unsupported pickle protocol');
        break;
      case 0x95: // FRAME
        raw(8);
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) fail('pickle ended with a malformed stack');
        return stack[0];
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map<unknown, unknown>());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        const list = top();
        if (!Array.isArray(list)) fail('APPEND to something that is not a list');
        (list as unknown[]).push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const list = top();
        if (!Array.isArray(list)) fail('APPENDS to something that is not a list');
        (list as unknown[]).push(...items);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x8a: {
        // LONG1
        const n = u8();
        const b = raw(n);
        let value = 0n;
        for (let i = n - 1; i >= 0; i--) value = (value << 8n) | BigInt(b[i] as number);
        if (n > 0 && (b[n - 1] as number) & 0x80) value -= 1n << BigInt(8 * n);
        if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER))
          fail('integer too large');
        stack.push(Number(value));
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        pos += 8;
        stack.push(view.getFloat64(pos - 8, false));
        break;
      case 0x58: // BINUNICODE
        stack.push(text.decode(raw(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text.decode(raw(u8())));
        break;
      case 0x8d: {
        // BINUNICODE8
        need(8);
        const n = Number(view.getBigUint64(pos, true));
        pos += 8;
        stack.push(text.decode(raw(n)));
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const index = op === 0x68 ? u8() : u32();
        if (!memo.has(index)) fail(`memo entry ${index} is missing`);
        stack.push(memo.get(index));
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = line();
        stack.push(findGlobal(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(findGlobal(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const callable = pop() as AllowedGlobal;
        if (callable?.kind !== 'global' || !callable.call) fail(`cannot call ${describe(callable)}`);
        if (!Array.isArray(args)) fail('REDUCE arguments are not a tuple');
        stack.push(callable.call!(args as unknown[], where));
        break;
      }
      case 0x62: {
        // BUILD: only a dict's (ignored) instance state, e.g. state_dict()._metadata
        const state = pop();
        const target = top();
        if (!(target instanceof Map) || !(state instanceof Map || state === null)) {
          fail(`BUILD on ${describe(target)} is not allowed`);
        }
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        stack.push(storageFromPid(pid, where));
        break;
      }
      default:
        fail(`pickle opcode 0x${op.toString(16).padStart(2, '0')} is not allowed in a tensor checkpoint`);
    }
  }
}

function describe(value: unknown): string {
  if ((value as AllowedGlobal)?.kind === 'global') return `global '${(value as AllowedGlobal).name}'`;
  if (value instanceof Map) return 'a dict';
  return typeof value;
}

function storageFromPid(pid: unknown, where: string): PickledStorage {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length !== 5) {
    throw new Error(`${where}: persistent id ${JSON.stringify(pid)} is not a tensor storage`);
  }
  const [, type, key, location, numel] = pid as [string, AllowedGlobal, unknown, unknown, unknown];
  const storageType = type?.kind === 'global' ? type.name.replace(/^torch\./, '') : '';
  if (!(STORAGE_TYPES as readonly string[]).includes(storageType)) {
    throw new Error(`${where}: storage type ${describe(type)} is not a tensor storage`);
  }
  if (typeof key !== 'string' || typeof location !== 'string' || !isInt(numel) || numel < 0) {
    throw new Error(`${where}: malformed storage reference ${JSON.stringify([key, location, numel])}`);
  }
  return { kind: 'storage', storageType, key, location, numel };
}
