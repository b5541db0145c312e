// Types of scripts/grafana-team-dashboard.mjs, for the test that compares its output with the committed JSON.
export const OUT: string;
export const DATASOURCE_UID: string;
export const DATASOURCE_TYPE: string;
export function buildDashboard(): Record<string, unknown>;
export function dashboardJson(): string;
