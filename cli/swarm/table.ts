/** Docker's plain tables: columns padded to their widest cell plus three spaces, lines trimmed. */
export function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  process.stdout.write(rows.map((r) => r.map((c, i) => c.padEnd(widths[i]! + 3)).join('').trimEnd()).join('\n') + '\n');
}

/** `ready` -> `Ready`, as Docker capitalises states in tables. */
export function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
