// pytest's -m grammar, for the expressions init writes: `or` binds loosest, then `and`, then
// `not`; parentheses group. A name matches when the test carries a marker of that name. init
// counts each chunk's tests with this, from the expression it wrote, so the counts it prints are
// those of the text in the config, not of a second idea of it.

const TOKEN = /\s*(\(|\)|[\w:+\-.[\]\\/]+)/y;

function tokenize(expression: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expression.length) {
    if (/^\s*$/.test(expression.slice(TOKEN.lastIndex))) break;
    const start = TOKEN.lastIndex;
    const match = TOKEN.exec(expression);
    if (!match) throw new Error(`unexpected character at ${start} in marker expression ${JSON.stringify(expression)}`);
    tokens.push(match[1]!);
  }
  return tokens;
}

/** Whether a test carrying `markers` is selected by the pytest -m `expression`. */
export function matchesMarkerExpression(expression: string, markers: ReadonlySet<string>): boolean {
  const tokens = tokenize(expression);
  let position = 0;
  const peek = (): string | undefined => tokens[position];
  const take = (): string => {
    const token = tokens[position++];
    if (token === undefined) throw new Error(`marker expression ${JSON.stringify(expression)} ends too early`);
    return token;
  };
  const orExpression = (): boolean => {
    let value = andExpression();
    while (peek() === 'or') {
      take();
      // Both sides are parsed whatever the left one gave: no short-circuit on the tokens.
      value = andExpression() || value;
    }
    return value;
  };
  const andExpression = (): boolean => {
    let value = notExpression();
    while (peek() === 'and') {
      take();
      value = notExpression() && value;
    }
    return value;
  };
  const notExpression = (): boolean => {
    const token = take();
    if (token === 'not') return !notExpression();
    if (token === '(') {
      const value = orExpression();
      if (take() !== ')') throw new Error(`unbalanced parentheses in marker expression ${JSON.stringify(expression)}`);
      return value;
    }
    if (token === ')' || token === 'and' || token === 'or') throw new Error(`unexpected "${token}" in marker expression ${JSON.stringify(expression)}`);
    return markers.has(token);
  };
  const value = orExpression();
  if (position !== tokens.length) throw new Error(`unexpected "${tokens[position]}" in marker expression ${JSON.stringify(expression)}`);
  return value;
}
