import { describe, expect, it } from 'vitest';
import { isTemplateFormat, renderGoFormat } from '../../../src/util/go-format.js';
import { UserError } from '../../../src/util/errors.js';

const rows = [
  { Name: 'app-web-1', State: 'running', Publishers: [{ PublishedPort: 8080 }], Labels: { tier: 'front' } },
  { Name: 'app-db-1', State: 'exited', Publishers: [], Labels: { tier: 'back' } },
];

describe('--format templates', () => {
  it('renders fields, nested fields, json and functions; \\t typed in a shell is a tab', () => {
    expect(renderGoFormat('{{.Name}}\\t{{.State}}', rows)).toBe('app-web-1\trunning\napp-db-1\texited\n');
    expect(renderGoFormat('{{.Labels.tier}} {{upper .State}} {{truncate .Name 3}}', rows)).toBe('front RUNNING app\nback EXITED app\n');
    expect(renderGoFormat('{{json .Publishers}}', rows)).toBe('[{"PublishedPort":8080}]\n[]\n');
    expect(JSON.parse(renderGoFormat('{{json .}}', rows).split('\n')[0]!)).toEqual(rows[0]);
  });

  it('table: a header from the field names, columns aligned', () => {
    expect(renderGoFormat('table {{.Name}}\\t{{.State}}', rows)).toBe('NAME        STATE\napp-web-1   running\napp-db-1    exited\n');
  });

  it('a field the rows lack, or a broken template, is a one-line user error', () => {
    expect(() => renderGoFormat('{{.Nope}}', rows)).toThrow(UserError);
    expect(() => renderGoFormat('{{.Nope}}', rows)).toThrow(/no field "Nope"/);
    expect(() => renderGoFormat('{{.Name', rows)).toThrow(/unclosed/);
    expect(() => renderGoFormat('{{Name}}', rows)).toThrow(/cannot read/);
    expect(isTemplateFormat('table')).toBe(false);
    expect(isTemplateFormat('{{.Name}}')).toBe(true);
  });
});
