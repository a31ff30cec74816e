/**
 * JSON.parse of a large body in slices, with a turn of the event loop between them (issue 10:
 * bounded work per request). The plan (src/review/slices.ts, made on the prescanner's worker) says
 * where every container longer than a slice has its members: runs of small members are parsed
 * together, at most SLICE_CHARS at a time, and merged; a large member is built the same way, one
 * level down. The result equals JSON.parse's for every text, valid or not (a property test holds
 * it to that): the last of duplicate keys wins, `__proto__` is an own property, and an error is a
 * SyntaxError.
 */
import { rememberKeyCount } from '../objects/json.js';
import { isSpace, skipSpace } from './json-scan.js';
import { SLICE_CHARS } from './slices.js';

function setMember(target: Record<string, unknown>, key: string, value: unknown): boolean {
  const added = !Object.hasOwn(target, key);
  // JSON.parse makes "__proto__" an own property; assigning it would set the prototype instead
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
  return added;
}

/** JSON.parse of `json`, the text of characters `from` to `to` of the body: an error says where. */
function parseAt(json: string, from: number, to: number): unknown {
  try {
    return JSON.parse(json);
  } catch (err) {
    throw new SyntaxError(`${(err as Error).message} (in characters ${from}-${to} of the body)`, { cause: err });
  }
}

/** JSON.parse of characters `from` to `to`; `asArray`: of `[` those characters `]` (a run of array elements). */
function parseRange(text: string, from: number, to: number, asArray = false): unknown {
  const piece = text.slice(from, to);
  return parseAt(asArray ? `[${piece}]` : piece, from, to);
}

/**
 * The value of `text`, parsed in slices as `plan` says, awaiting `nextTurn` before a turn would
 * parse more than `slice` characters.
 */
export async function slicedParse(text: string, plan: Int32Array, nextTurn: () => Promise<void>, slice = SLICE_CHARS): Promise<unknown> {
  const records = new Map<number, number>();
  for (let p = 0; p < plan.length; p += 4 + 4 * plan[p + 3]!) records.set(plan[p]!, p);
  let sinceTurn = 0;
  // called before parsing `chars` more: a turn ends before it would read more than a slice
  const paced = async (chars: number): Promise<void> => {
    if (sinceTurn > 0 && sinceTurn + chars > slice) {
      sinceTurn = 0;
      await nextTurn();
    }
    sinceTurn += chars;
  };

  /**
   * The members of record `p` in order: each run of small members, up to a slice of text, to
   * `run` (as the plan offsets of its first member and just past its last); each member whose
   * value is itself large to `large` (its plan offset).
   */
  const members = async (p: number, run: (from: number, to: number) => void, large: (q: number) => Promise<void>): Promise<void> => {
    let from = -1;
    let to = -1;
    const flush = async (): Promise<void> => {
      if (from < 0) return;
      await paced(plan[to - 1]! - plan[from]!);
      run(from, to);
      from = -1;
    };
    for (let m = 0, q = p + 4; m < plan[p + 3]!; m++, q += 4) {
      if (records.has(plan[q + 2]!)) {
        await flush();
        await large(q);
      } else {
        if (from >= 0 && plan[q + 3]! - plan[from]! > slice) await flush();
        if (from < 0) from = q;
        to = q + 4;
      }
    }
    await flush();
  };

  // An object's run is parsed as an array of keys and values ("k":v,... read as ["k",v,...]) and
  // its pairs set in order: parsing it as an object would build a dictionary only to copy it into
  // the result, which cost more than JSON.parse of the whole (bench/results.md, adversarial).
  const object = async (p: number): Promise<Record<string, unknown>> => {
    const target: Record<string, unknown> = {};
    let keys = 0;
    const set = (key: unknown, value: unknown, at: number): void => {
      if (typeof key !== 'string') throw new SyntaxError(`Expected a string key at character ${at} of the body`);
      if (setMember(target, key, value)) keys++;
    };
    await members(
      p,
      (from, to) => {
        // one member alone (a long string, most likely): its key and value parsed where they are,
        // not copied into a new text twice its size first
        if (to - from === 4)
          return set(parseRange(text, plan[from]!, plan[from + 1]!), parseRange(text, plan[from + 2]!, plan[from + 3]!), plan[from]!);
        const pieces: string[] = [];
        for (let q = from; q < to; q += 4) pieces.push(text.slice(plan[q]!, plan[q + 1]!), text.slice(plan[q + 1]! + 1, plan[q + 3]!));
        const pairs = parseAt(`[${pieces.join(',')}]`, plan[from]!, plan[to - 1]!) as unknown[];
        if (pairs.length !== ((to - from) / 4) * 2)
          throw new SyntaxError(`Expected a key and a value in each member at character ${plan[from]!} of the body`);
        for (let i = 0, q = from; i < pairs.length; i += 2, q += 4) set(pairs[i], pairs[i + 1], plan[q]!);
      },
      async (q) => {
        const key = parseRange(text, plan[q]!, plan[q + 1]!);
        set(key, await value(plan[q + 2]!, plan[q + 3]!), plan[q]!);
      },
    );
    rememberKeyCount(target, keys);
    return target;
  };

  // an array's run is one slice of its text, parsed as an array; the first becomes the result
  const array = async (p: number): Promise<unknown[]> => {
    let target: unknown[] | undefined;
    await members(
      p,
      (from, to) => {
        const part =
          to - from === 4
            ? [parseRange(text, plan[from]!, plan[from + 3]!)]
            : (parseRange(text, plan[from]!, plan[to - 1]!, true) as unknown[]);
        if (target === undefined) target = part;
        else for (const item of part) target.push(item);
      },
      async (q) => {
        const v = await value(plan[q + 2]!, plan[q + 3]!);
        (target ??= []).push(v);
      },
    );
    return target ?? [];
  };

  const value = async (start: number, end: number): Promise<unknown> => {
    const p = records.get(start);
    if (p === undefined) {
      await paced(end - start);
      return parseRange(text, start, end);
    }
    const close = plan[p + 1]!;
    for (let i = close + 1; i < end; i++)
      if (!isSpace(text.charCodeAt(i))) throw new SyntaxError(`Unexpected character after the value at character ${close}`);
    return plan[p + 2] === 1 ? object(p) : array(p);
  };

  return value(skipSpace(text, 0), text.length);
}
