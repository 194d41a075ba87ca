/** What the command line needs of `diff` before it runs (cli.ts loads each command's module only when it runs). */
import { DOCUMENT_WRITERS } from '../output/document.js';

export const DIFF_FORMATS = [...Object.keys(DOCUMENT_WRITERS), 'folded'];
/** Exit status when a --fail-above gate trips. */
export const EXIT_GATE = 3;
