import { describe, expect, it } from 'vitest';
import { substitute, TemplateError } from '../../../src/compose/template.js';

const env: Record<string, string> = { SET: 'v', EMPTY: '', NAME: 'web' };
const look = (n: string) => env[n];
const sub = (s: string) => substitute(s, look);

describe('variable substitution', () => {
  it.each([
    ['$SET', 'v'],
    ['${SET}', 'v'],
    ['a${SET}b$SET.c', 'avbv.c'],
    ['${UNSET}', ''],
    ['$UNSET', ''],
    ['${UNSET:-d}', 'd'],
    ['${EMPTY:-d}', 'd'],
    ['${SET:-d}', 'v'],
    ['${UNSET-d}', 'd'],
    ['${EMPTY-d}', ''],
    ['${SET:+r}', 'r'],
    ['${EMPTY:+r}', ''],
    ['${EMPTY+r}', 'r'],
    ['${UNSET+r}', ''],
    ['${UNSET:-${SET}}', 'v'],
    ['${UNSET:-${ALSO:-x${NAME}y}}', 'xweby'],
    ['${SET:-${BAD:?never evaluated}}', 'v'],
    ['$$SET', '$SET'],
    ['$${SET}', '${SET}'],
    ['cost $$5', 'cost $5'],
    ['${UNSET:-a:b}', 'a:b'],
    ['${UNSET:-}', ''],
    ['no dollar', 'no dollar'],
  ])('%s -> %s', (input, want) => {
    expect(sub(input)).toBe(want);
  });

  it('reports a missing required variable with its name and message', () => {
    for (const s of ['${UNSET:?need it}', '${EMPTY:?need it}', '${UNSET?need it}']) {
      const e = (() => {
        try {
          sub(s);
        } catch (x) {
          return x;
        }
      })() as TemplateError;
      expect(e).toBeInstanceOf(TemplateError);
      expect(e.kind).toBe('missing');
      expect(e.message).toMatch(/required variable (UNSET|EMPTY) is missing a value: need it/);
    }
    expect(sub('${EMPTY?fine}')).toBe('');
  });

  // Compose (compose-go's template pattern): a `$` not followed by a name, `{` or `$` is text.
  it.each([
    ['$(date)', '$(date)'],
    ['$1 and $@', '$1 and $@'],
    ['5 $ each', '5 $ each'],
    ['ends with $', 'ends with $'],
    ['RUN echo "$((1+2))" $SET', 'RUN echo "$((1+2))" v'],
    ['cmd || exit $?', 'cmd || exit $?'],
  ])('keeps a bare dollar: %s -> %s', (input, want) => {
    expect(sub(input)).toBe(want);
  });

  it.each(['${', '${SET', '${}', '${1}', '${ x}', '${SET:x}', '${SET!}'])('rejects invalid template %s', (s) => {
    expect(() => sub(s)).toThrow(TemplateError);
  });

  it('calls back for each unset variable (for warnings)', () => {
    const seen: string[] = [];
    substitute('$A ${B} ${C:-x} $SET', look, (n) => seen.push(n));
    expect(seen).toEqual(['A', 'B']);
  });
});
