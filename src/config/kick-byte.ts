// Apart from the schema so that the running server reads it without loading valibot.
/** One byte: a single character up to U+00FF, or the escape \xNN. */
export function parseKickByte(s: string): number | undefined {
  const hex = /^\\x([0-9a-fA-F]{2})$/.exec(s);
  if (hex?.[1] !== undefined) return parseInt(hex[1], 16);
  if (s.length === 1 && s.charCodeAt(0) <= 0xff) return s.charCodeAt(0);
  return undefined;
}
