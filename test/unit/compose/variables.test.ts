/** `config --variables`, as compose-go's ExtractVariables reads templates. */
import { describe, expect, it } from 'vitest';
import { modelVariables, stringVariables } from '../../../src/compose/variables.js';

describe('template variables', () => {
  it('reads every form, nested defaults included; $$ and a bare $ are no variable', () => {
    expect(stringVariables('$A ${B} ${C:-x} ${D-y} ${E:?m} ${F?m} ${G:+r} ${H+r} $$I ${J:-${K:-z}} $1 $')).toEqual([
      { name: 'A', required: false },
      { name: 'B', required: false },
      { name: 'C', required: false, defaultValue: 'x' },
      { name: 'D', required: false, defaultValue: 'y' },
      { name: 'E', required: true },
      { name: 'F', required: true },
      { name: 'G', required: false, alternateValue: 'r' },
      { name: 'H', required: false, alternateValue: 'r' },
      { name: 'J', required: false, defaultValue: '${K:-z}' },
      { name: 'K', required: false, defaultValue: 'z' },
    ]);
  });

  it('walks values only, first occurrence of a name wins', () => {
    expect(modelVariables({ services: { '${KEY}': { image: '${IMG:-a}', labels: ['${IMG:-b}', '$OTHER'] } } })).toEqual([
      { name: 'IMG', required: false, defaultValue: 'a' },
      { name: 'OTHER', required: false },
    ]);
  });
});
