// The report kinds, in a module of their own with no imports: dist/cli.js names a report's code
// cache by its kind without loading the report's queries.
export const REPORT_KINDS = ['daily', 'weekly', 'monthly', 'session', 'model', 'project', 'blocks', 'developer'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];
