// The report as JSON (schema: docs/report.md). Deterministic: the timing, which differs run to
// run, is left out; numbers JSON cannot hold never occur (metrics that would be infinite are null).

import { toJsonText } from '../inspect/common.js';
import type { QuantReport } from './report.js';

/** The report without its timing: what --json prints and the HTML page embeds. */
export function reportJsonValue(r: QuantReport): Omit<QuantReport, 'timing'> {
  const { timing: _timing, ...rest } = r;
  return rest;
}

export function reportJson(r: QuantReport): string {
  return toJsonText(reportJsonValue(r));
}
