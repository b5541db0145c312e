// The status line's --format templates: text with named fields, `{session_cost}`, and optional
// groups, `[ | block {block_cost} {block_left} left]`. Parsed into units the line can show or drop
// one at a time: a bare field, or a group, each with the text written before it (since the
// previous unit), which shows only when the unit does. A group shows only when every field in it
// has a value. `\` takes the next character as text. Pure.

export type Part = { text: string } | { field: string };

export interface Unit {
  /** The text between the previous unit and this one: shown and dropped with this unit. */
  prefix: string;
  parts: Part[];
  fields: string[];
}

export interface Template {
  units: Unit[];
  /** Text after the last unit: always shown. */
  trailer: string;
}

const FIELD = /^\{([a-z_][a-z0-9_]*)\}/;

/**
 * Parses a template. A field name not in `known` stays as text (`{name?}`) and is listed in
 * `unknown`; a `[` never closed is a group running to the end; a stray `]` is text.
 */
export function parseTemplate(source: string, known: (name: string) => boolean): { template: Template; unknown: string[] } {
  const units: Unit[] = [];
  const unknown: string[] = [];
  let pending = '';
  let group: Part[] | null = null;
  let groupPrefix = '';
  const addText = (text: string): void => {
    if (group === null) {
      pending += text;
      return;
    }
    const last = group.at(-1);
    if (last && 'text' in last) last.text += text;
    else group.push({ text });
  };
  const closeGroup = (): void => {
    const parts = group!;
    group = null;
    const fields = parts.flatMap((p) => ('field' in p ? [p.field] : []));
    if (fields.length === 0) {
      // Only text: nothing to show or drop, it is plain text.
      pending = groupPrefix + parts.map((p) => ('text' in p ? p.text : '')).join('');
      return;
    }
    units.push({ prefix: groupPrefix, parts, fields });
  };
  for (let i = 0; i < source.length; ) {
    const ch = source[i]!;
    if (ch === '\\' && i + 1 < source.length) {
      addText(source[i + 1]!);
      i += 2;
      continue;
    }
    if (ch === '{') {
      const m = FIELD.exec(source.slice(i));
      if (m) {
        const name = m[1]!;
        i += m[0].length;
        if (!known(name)) {
          unknown.push(name);
          addText(`{${name}?}`);
        } else if (group !== null) {
          (group as Part[]).push({ field: name });
        } else {
          units.push({ prefix: pending, parts: [{ field: name }], fields: [name] });
          pending = '';
        }
        continue;
      }
    }
    if (ch === '[' && group === null) {
      group = [];
      groupPrefix = pending;
      pending = '';
      i++;
      continue;
    }
    if (ch === ']' && group !== null) {
      closeGroup();
      i++;
      continue;
    }
    addText(ch === '\n' || ch === '\r' || ch === '\t' ? ' ' : ch);
    i++;
  }
  if (group !== null) closeGroup();
  return { template: { units, trailer: pending }, unknown };
}

/** Every field a template names. */
export function fieldsOf(template: Template): Set<string> {
  return new Set(template.units.flatMap((u) => u.fields));
}
