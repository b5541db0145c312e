// Turning a parsed template and the fields' values into the one line printed: units without a
// value are left out, then, while the line is wider than the width, the unit of lowest rank (the
// rightmost of equals) is dropped, down to the last one; what still does not fit is cut with '…'.
// Never more than one line. Colours (ANSI SGR) are added last, so widths count only the visible text. Pure.
import type { Template, Unit } from './template.js';

export type Style = 'model' | 'warn' | 'over' | 'dim' | 'added' | 'removed' | 'problem';

/** A piece of a field's value, with its colour. */
export interface Span {
  text: string;
  style?: Style;
}

const SGR: Record<Style, string> = {
  model: '36', // cyan
  warn: '33', // yellow
  over: '1;31', // bold red
  dim: '2',
  added: '32', // green
  removed: '31', // red
  problem: '1;31',
};

export interface RenderOptions {
  /** Characters available (COLUMNS); undefined = no limit. */
  width?: number;
  color: boolean;
}

/** Control characters (a value from stdin may hold escapes or newlines) become nothing or a space. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\n\r\t]/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
}

function len(text: string): number {
  return [...text].length;
}

interface Piece {
  text: string;
  style?: Style;
  /** Template text (not a field's value). */
  literal?: boolean;
}

function unitPieces(unit: Unit, values: Map<string, Span[] | null>): Piece[] | null {
  const pieces: Piece[] = [{ text: unit.prefix, literal: true }];
  for (const part of unit.parts) {
    if ('text' in part) {
      pieces.push({ text: part.text, literal: true });
      continue;
    }
    const spans = values.get(part.field);
    if (!spans || spans.length === 0) return null;
    for (const s of spans) pieces.push({ text: clean(s.text), style: s.style });
  }
  return pieces;
}

function width(pieces: Piece[]): number {
  return pieces.reduce((sum, p) => sum + len(p.text), 0);
}

/** Cuts pieces to `max` characters, the last one visible ending in '…'. */
function cut(pieces: Piece[], max: number): Piece[] {
  if (max <= 0) return [];
  const out: Piece[] = [];
  let left = max - 1;
  for (const p of pieces) {
    const chars = [...p.text];
    if (chars.length <= left) {
      out.push(p);
      left -= chars.length;
      continue;
    }
    out.push({ text: `${chars.slice(0, left).join('')}…`, style: p.style });
    return out;
  }
  return out;
}

function paint(pieces: Piece[], color: boolean): string {
  return pieces.map((p) => (color && p.style && p.text !== '' ? `\x1b[${SGR[p.style]}m${p.text}\x1b[0m` : p.text)).join('');
}

/** What a separator may be made of: trimmed from the start of the line. */
const LEADING_SEPARATOR = /^[\s|│·•,;/-]+/;

/**
 * The first unit shown has nothing before it to separate it from: unless it is the template's
 * first unit, the template text it starts with loses any leading separator (' | ').
 */
function withoutLeadingSeparator(pieces: Piece[]): Piece[] {
  const out = [...pieces];
  for (let i = 0; i < out.length && out[i]!.literal; i++) {
    const text = out[i]!.text.replace(LEADING_SEPARATOR, '');
    out[i] = { ...out[i]!, text };
    if (text !== '') break;
  }
  return out;
}

/**
 * The line (without its newline). `rank(field)` says how much a field is worth keeping; a unit is
 * worth its best field.
 */
export function renderLine(template: Template, values: Map<string, Span[] | null>, rank: (field: string) => number, options: RenderOptions): string {
  const shown = template.units
    .map((unit, index) => ({ index, pieces: unitPieces(unit, values), rank: Math.max(...unit.fields.map(rank)) }))
    .filter((u): u is { index: number; pieces: Piece[]; rank: number } => u.pieces !== null);
  const all = (): Piece[] => {
    const pieces = shown.flatMap((u, i) => (i > 0 || u.index === 0 ? u.pieces : withoutLeadingSeparator(u.pieces)));
    return [...pieces, { text: template.trailer }];
  };
  if (options.width !== undefined) {
    // The best unit is never dropped: cut short, it still says more than nothing.
    while (width(all()) > options.width && shown.length > 1) {
      let drop = 0;
      shown.forEach((u, i) => {
        if (u.rank <= shown[drop]!.rank) drop = i;
      });
      shown.splice(drop, 1);
    }
  }
  let pieces = all();
  if (options.width !== undefined && width(pieces) > options.width) pieces = cut(pieces, options.width);
  return paint(pieces, options.color);
}
