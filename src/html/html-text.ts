// HTML is built with the `html` tagged template only: every interpolated value is escaped by
// escapeHtml unless it is already SafeHtml (built the same way). A test id holding `<script>`
// therefore reaches the page as text, wherever it is put, in an element or in an attribute.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an HTML element or a quoted attribute (& < > " '): the one escaping function. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]!);
}

/** Markup that is already escaped: the only thing the `html` template passes through as is. */
export class SafeHtml {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

/** What may be put in an `html` template: text and numbers are escaped, SafeHtml is kept, lists are joined. */
export type HtmlValue = SafeHtml | string | number | null | undefined | false | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/** Tagged template building escaped HTML: html`<td>${nodeid}</td>`. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let text = strings[0]!;
  for (let index = 0; index < values.length; index += 1) text += render(values[index]) + strings[index + 1]!;
  return new SafeHtml(text);
}

/** Joins pieces of markup (and escapes any text among them). */
export function joinHtml(values: readonly HtmlValue[], separator = ''): SafeHtml {
  return new SafeHtml(values.map(render).join(separator));
}

/** Text cut to `maxChars` characters, with an ellipsis when cut (for labels; tooltips keep the whole text). */
export function shorten(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 1)}…`;
}

/** A number for an SVG attribute: rounded to a tenth of a pixel, so paths stay short. */
export function px(value: number): string {
  return String(Math.round(value * 10) / 10);
}

// In a <script> element the HTML parser looks only for `</script` (and `<!--`, which changes how
// it looks): with every `<` written as \u003c neither can occur, whatever a string holds. `>` and
// `&` are escaped too, and U+2028/U+2029, so the text reads the same to any parser.
const JSON_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

/** A value as JSON that is safe inside `<script type="application/json">`: JSON.parse of the element's text gives it back exactly. */
export function embedJson(value: unknown): SafeHtml {
  return new SafeHtml(JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (char) => JSON_ESCAPES[char]!));
}
