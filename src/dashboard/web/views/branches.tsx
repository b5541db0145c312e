// Branches: API calls, tokens and cost per project and git branch over the range (the branch
// each call's transcript line names); a row links to its sessions. Needs schema 8.
import type { BranchesAnswer } from '../../../report/dashboard-types';
import { Card, CostBars, Link, Status, Table, usageColumns } from '../components';
import { allReady, useApi } from '../data';
import { shortProject } from '../format';
import { type Range, rangeQuery } from '../range';
import type { Loc } from '../router';

export function Branches({ loc, range }: { loc: Loc; range: Range }) {
  const api = useApi<BranchesAnswer>(`/api/branches?${rangeQuery(range)}`);
  const d = api.data;
  return (
    <div class="view" data-view="branches" data-ready={String(allReady(api))}>
      <Status error={api.error} loading={!d && api.loading} />
      {d && !d.available && <p class="empty">This database records no branches yet: run the worker once to upgrade it to schema 8.</p>}
      {d && d.available && (
        <div class="grid">
          <Card title="Cost by branch" wide>
            <CostBars rows={d.rows} limit={15} title={(r) => `${r.project} ${r.branch}`} label={(r) => <>{r.branch} <span class="muted">· {shortProject(r.project)}</span></>} />
          </Card>
          <Card wide>
            <Table testid="branches" rowKey={(r) => `${r.project}\n${r.branch}`} rows={d.rows} columns={[
              { header: 'Branch', cell: (r) => <Link loc={loc} to="/sessions" extra={{ project: r.project, branch: r.branch }}>{r.branch}</Link> },
              { header: 'Project', cell: (r) => <span title={r.project}>{shortProject(r.project)}</span> },
              ...usageColumns<BranchesAnswer['rows'][number]>(range.tz),
            ]} />
          </Card>
        </div>
      )}
    </div>
  );
}
