// The node-id lists shared with the bundled pytest plugin: RUN_CHUNKS_SELECT_FILE and
// RUN_CHUNKS_DESELECT_FILE (written here), `<events file>.collected` (written by the plugin). A
// node id may hold newlines, tabs or any character (parametrize ids are free text), so a line
// holds one id written as a JSON string, which says exactly where each id ends.

/** The text of a node-id file: one JSON string per line. */
export function formatNodeIdFile(nodeids: Iterable<string>): string {
  let text = '';
  for (const nodeid of nodeids) text += `${JSON.stringify(nodeid)}\n`;
  return text;
}

/**
 * The node ids of a node-id file. Blank lines are skipped; so is the text after the last newline
 * (a write cut short by a kill) and any line that is not one JSON string (never half-trusted).
 */
export function parseNodeIdFile(text: string): string[] {
  const lines = text.split('\n');
  lines.pop(); // Empty after the last newline, or a line cut short.
  const nodeids: string[] = [];
  for (const line of lines) {
    if (line.trim() === '') continue;
    try {
      const value: unknown = JSON.parse(line);
      if (typeof value === 'string') nodeids.push(value);
    } catch {
      // Not a node id line.
    }
  }
  return nodeids;
}
