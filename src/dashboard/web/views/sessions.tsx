// Sessions: the table of sessions started in the range, sorted, filtered and paged by the server
// (the URL keeps sort, dir, q, project, branch, developer and page); a row's start links to the
// session. Over a team database, who pushed each session and from which machine.
import type { SessionRow, SessionsAnswer } from '../../../report/dashboard-types';
import { type Column, Link, Status, Table } from '../components';
import { allReady, useApi } from '../data';
import { fmtDuration, fmtInt, fmtTime, fmtTokens, fmtUsd, shortModel, shortProject } from '../format';
import { type Range, rangeQuery } from '../range';
import { type Loc, hrefOf, navigate, withParams } from '../router';

export function sessionColumns(loc: Loc, tz: string, team = false): Array<Column<SessionRow>> {
  return [
    {
      header: 'Start',
      sort: 'start',
      cell: (r) => <Link loc={loc} to={`/sessions/${encodeURIComponent(r.session_id)}`} cls="session-link">{fmtTime(r.start_time, tz)}</Link>,
    },
    ...(team
      ? [{ header: 'Developer', cell: (r: SessionRow) => <span title={r.machine ? `on ${r.machine}` : ''}>{r.developer ?? '–'}</span> }]
      : []),
    { header: 'Project', sort: 'project', cell: (r) => <span title={r.project ?? ''}>{shortProject(r.project)}</span> },
    { header: 'Branch', cell: (r) => r.branch ?? '–' },
    { header: 'Models', cell: (r) => r.models.map(shortModel).join(', ') },
    { header: 'Duration', sort: 'duration', num: true, cell: (r) => fmtDuration(r.duration_seconds) },
    { header: 'Calls', sort: 'calls', num: true, cell: (r) => fmtInt(r.api_calls) },
    { header: 'Tools', sort: 'tools', num: true, cell: (r) => fmtInt(r.tool_calls) },
    { header: 'Commits', sort: 'commits', num: true, cell: (r) => fmtInt(r.commits) },
    { header: 'Lines +/−', sort: 'lines', num: true, cell: (r) => `+${fmtInt(r.lines_added)}/−${fmtInt(r.lines_removed)}` },
    { header: 'Tokens', sort: 'tokens', num: true, cell: (r) => fmtTokens(r.total_tokens) },
    { header: 'Cost', sort: 'cost', num: true, cell: (r) => `${fmtUsd(r.cost_usd)}${r.unpriced_calls > 0 ? '*' : ''}` },
    {
      header: 'Reported',
      sort: 'reported',
      num: true,
      cell: (r) => (r.reported_cost_usd === null ? '–' : <span class={r.cost_differs ? 'differs' : ''} title={r.cost_differs ? "Claude Code's own cost differs from ours by more than a cent" : "Claude Code's own cost"}>{fmtUsd(r.reported_cost_usd)}{r.cost_differs ? ' ≠' : ''}</span>),
    },
  ];
}

export function Sessions({ loc, range }: { loc: Loc; range: Range }) {
  const p = loc.params;
  const query = rangeQuery(range, {
    sort: p.get('sort') ?? 'start',
    dir: p.get('dir') ?? 'desc',
    q: p.get('q') ?? '',
    project: p.get('project') ?? '',
    branch: p.get('branch') ?? '',
    developer: p.get('developer') ?? '',
    page: p.get('page') ?? '1',
  });
  const s = useApi<SessionsAnswer>(`/api/sessions?${query}`);
  const d = s.data;
  const pages = d ? Math.max(1, Math.ceil(d.total / d.per_page)) : 1;
  const go = (page: number): void => navigate(loc.path, withParams(loc, { page: page === 1 ? null : String(page) }));
  return (
    <div class="view" data-view="sessions" data-ready={String(allReady(s))}>
      <div class="toolbar">
        <form onSubmit={(e) => {
          e.preventDefault();
          const v = (e.currentTarget.elements.namedItem('q') as HTMLInputElement).value;
          navigate(loc.path, withParams(loc, { q: v === '' ? null : v, page: null }));
        }}>
          <input name="q" type="search" placeholder="Filter: project, model, branch or session id" value={p.get('q') ?? ''} aria-label="Filter sessions" />
        </form>
        {(['project', 'branch', 'developer'] as const).map((key) => p.get(key) && (
          <span class="chip">
            {key} {key === 'project' ? shortProject(p.get(key)) : p.get(key)}{' '}
            <a href={hrefOf(loc.path, withParams(loc, { [key]: null, page: null }))} onClick={(e) => {
              e.preventDefault();
              navigate(loc.path, withParams(loc, { [key]: null, page: null }));
            }} aria-label={`Remove the ${key} filter`}>×</a>
          </span>
        ))}
        {d && <span class="count" data-testid="sessions-total">{fmtInt(d.total)} sessions</span>}
      </div>
      <Status error={s.error} loading={!d && s.loading} />
      {d && (
        <>
          <Table testid="sessions" loc={loc} sort={d.sort} dir={d.dir} rowKey={(r) => r.session_id} rows={d.rows} columns={sessionColumns(loc, range.tz, d.rows.some((r) => r.developer !== null))} />
          <div class="pager">
            <button type="button" disabled={d.page <= 1} onClick={() => go(d.page - 1)}>← Previous</button>
            <span>page {d.page} of {pages}</span>
            <button type="button" disabled={d.page >= pages} onClick={() => go(d.page + 1)}>Next →</button>
          </div>
        </>
      )}
    </div>
  );
}
