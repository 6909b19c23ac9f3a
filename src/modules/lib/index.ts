/** Shared helpers of the file modules; other modules import from here. */
export { convergeFile, readRemoteFile, sha1, MAX_DIFF, resultDiffText, type RemoteFile, type WantFile } from './file.js';
export { parseMode, fmtMode, resolveMode, type ParsedMode } from './mode.js';
export { unifiedDiff } from './diff.js';
export { parseStat, statCmd, sameId, type StatInfo } from './stat.js';
export { bool, num, int, str, modeArg, strList, withAliases, parseArgs, describeIssues } from './args.js';
