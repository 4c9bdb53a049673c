// Percentages for people: as many digits as the figure can carry, no more. A growth of
// 382.14159% is "382%", 14.93% is "14.9%", 6.25% is "6.25%": never "+382.1%" beside "6.3%".
// The same rule as the leak verdicts' reasons (src/monitor/leak-verdict.ts), so a table cell and
// the sentence beside it show one figure alike.

/** "0.4%", "6.25%", "14.9%", "114%": two decimals below 10, one below 100, whole from 100; "0%" for a figure that rounds to zero. */
export function formatPercent(percent: number): string {
  const magnitude = Math.abs(percent);
  const rounded = Number(percent.toFixed(magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2));
  return `${rounded === 0 ? 0 : rounded}%`;
}

/** formatPercent with a sign for growth: "+4.2%", "-12%", "0%". */
export function formatSignedPercent(percent: number): string {
  const text = formatPercent(percent);
  return text.startsWith('-') || text === '0%' ? text : `+${text}`;
}
