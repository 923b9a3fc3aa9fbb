// The one reader of settings from the environment. Each setting has a typed parser (whole
// numbers with a range, durations in ms, fractions, enums, booleans, comma lists, strings);
// a blank or unset variable means the default. Every problem names the variable and what it
// accepts; a load collects all of them and throws one SettingsError at start-up.

export type Env = Record<string, string | undefined>;

/** How one variable's text becomes a value. `accepts` is the human range, used in errors and the README. */
export interface Parser<T> {
  readonly accepts: string;
  /** `raw` is trimmed and non-empty; throws a plain message (the reader adds the name). */
  parse(raw: string): T;
}

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0] : `invalid settings:\n  ${problems.join('\n  ')}`);
    this.name = 'SettingsError';
  }
}

const WHOLE = /^\d+$/;
const fmt = (n: number) => (Number.isInteger(n) && Math.abs(n) >= 10_000 ? n.toLocaleString('en-US').replace(/,/g, '_') : String(n));

/** A whole number in [min, max]. Refuses `2.5`, `1e3`, `0x10`, `-1`, `+3`. */
export function int(min: number, max: number): Parser<number> {
  return {
    accepts: `whole number ${fmt(min)}..${fmt(max)}`,
    parse(raw) {
      if (!WHOLE.test(raw)) throw new Error(`must be a whole number from ${fmt(min)} to ${fmt(max)}`);
      const n = Number(raw);
      if (n < min || n > max) throw new Error(`must be from ${fmt(min)} to ${fmt(max)}`);
      return n;
    },
  };
}

/** setTimeout's limit: longer delays fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** A non-negative duration in whole milliseconds, in [min, max]. */
export function ms(min = 0, max = MAX_TIMER_MS): Parser<number> {
  return {
    accepts: max === MAX_TIMER_MS ? `ms ≥ ${fmt(min)}` : `ms ${fmt(min)}..${fmt(max)}`,
    parse(raw) {
      if (!WHOLE.test(raw)) throw new Error(`must be a whole number of milliseconds from ${fmt(min)} to ${fmt(max)}`);
      const n = Number(raw);
      if (n < min || n > max) throw new Error(`must be from ${fmt(min)} to ${fmt(max)} ms`);
      return n;
    },
  };
}

/** A decimal number in [min, max] (plain notation: `0.2`, `1`, `.5`); only for settings that are truly fractional. */
export function decimal(min: number, max: number): Parser<number> {
  return {
    accepts: `number ${min}..${max}`,
    parse(raw) {
      if (!/^(\d+(\.\d*)?|\.\d+)$/.test(raw)) throw new Error(`must be a decimal number from ${min} to ${max}`);
      const n = Number(raw);
      if (n < min || n > max) throw new Error(`must be from ${min} to ${max}`);
      return n;
    },
  };
}

/** One of a fixed set of words (compared case-insensitively; the value is lower-cased). */
export function oneOf<const V extends string>(values: readonly V[]): Parser<V> {
  return {
    accepts: values.join(', '),
    parse(raw) {
      const v = raw.toLowerCase();
      if (!(values as readonly string[]).includes(v)) throw new Error(`must be one of ${values.join(', ')}`);
      return v as V;
    },
  };
}

/** `1/true/yes/on` or `0/false/no/off`. */
export function bool(): Parser<boolean> {
  return {
    accepts: '1/0, true/false, yes/no, on/off',
    parse(raw) {
      const v = raw.toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      throw new Error('must be 1/0, true/false, yes/no or on/off');
    },
  };
}

/** Any text (trimmed). */
export function text(accepts = 'text'): Parser<string> {
  return { accepts, parse: (raw) => raw };
}

/** `auto` or a whole number in [min, max]. */
export function intOrAuto(min: number, max: number): Parser<number | 'auto'> {
  const n = int(min, max);
  return {
    accepts: `\`auto\` or ${n.accepts}`,
    parse(raw) {
      if (raw.toLowerCase() === 'auto') return 'auto';
      try {
        return n.parse(raw);
      } catch {
        throw new Error(`must be 'auto' or a whole number from ${fmt(min)} to ${fmt(max)}`);
      }
    },
  };
}

/** A comma list; blank items are dropped; each item parsed by `item`. */
export function list<T>(item: Parser<T>, what = item.accepts): Parser<T[]> {
  return {
    accepts: `comma list of ${what}`,
    parse(raw) {
      const items = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
      return items.map((s) => {
        try {
          return item.parse(s);
        } catch (e) {
          throw new Error(`item '${s}' ${(e as Error).message}`);
        }
      });
    },
  };
}

/** An http(s) URL, kept as its origin when `originOnly`. */
export function url(originOnly = false): Parser<string> {
  return {
    accepts: 'http(s) URL',
    parse(raw) {
      let u: URL;
      try {
        u = new URL(raw);
      } catch {
        throw new Error('must be an http(s) URL');
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('must be an http(s) URL');
      return originOnly ? u.origin : raw;
    },
  };
}

/**
 * Reads one variable: unset or blank gives `undefined`; otherwise the parsed value, or a message
 * naming the variable, what it accepts and what it got (pushed to `problems`).
 */
export function readOne<T>(env: Env, name: string, parser: Parser<T>, problems: string[], secret = false): T | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  try {
    return parser.parse(raw);
  } catch (e) {
    if (secret) problems.push(`${name} is invalid (not shown): each must be ${parser.accepts}`);
    else problems.push(`${name} ${(e as Error).message}, got '${raw.length > 60 ? `${raw.slice(0, 57)}...` : raw}'`);
    return undefined;
  }
}
