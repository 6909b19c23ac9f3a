/**
 * Escaping for the XML and HTML that reports write (JUnit files, the verify page). XML 1.0
 * allows no control characters but tab, newline and carriage return: an ANSI colour in a
 * command's stderr would make a JUnit file unreadable, so they are dropped.
 */
const INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

export function xmlEscape(s: string): string {
  return s.replace(INVALID, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
