// Projects and Models: the range's figures per working folder or per model (the `report project`
// and `report model` rows), as a cost bar chart and a table; a project links to its sessions.
import type { GroupsAnswer } from '../../../report/dashboard-types';
import { Card, CostBars, Link, Status, Table } from '../components';
import { allReady, useApi } from '../data';
import { fmtInt, fmtTokens, fmtUsd, shortModel, shortProject } from '../format';
import { type Range, rangeQuery } from '../range';
import type { Loc } from '../router';

export function Groups({ loc, range, kind }: { loc: Loc; range: Range; kind: 'project' | 'model' }) {
  const api = useApi<GroupsAnswer>(`/api/${kind === 'project' ? 'projects' : 'models'}?${rangeQuery(range)}`);
  const d = api.data;
  const name = (key: string): string => (kind === 'project' ? shortProject(key) : shortModel(key));
  return (
    <div class="view" data-view={kind === 'project' ? 'projects' : 'models'} data-ready={String(allReady(api))}>
      <Status error={api.error} loading={!d && api.loading} />
      {d && (
        <div class="grid">
          <Card title={`Cost by ${kind}`} wide>
            <CostBars rows={d.rows} limit={20} title={(r) => r.key} label={(r) => name(r.key)} />
          </Card>
          <Card wide>
            <Table testid={kind} rowKey={(r) => r.key} rows={d.rows} columns={[
              {
                header: kind === 'project' ? 'Project' : 'Model',
                cell: (r) => (kind === 'project' ? <Link loc={loc} to="/sessions" extra={{ project: r.key }}><span title={r.key}>{r.key}</span></Link> : r.key),
              },
              ...(kind === 'project' ? [{ header: 'Models', cell: (r: GroupsAnswer['rows'][number]) => r.models.map(shortModel).join(', ') }] : []),
              { header: 'Sessions', num: true, cell: (r) => fmtInt(r.sessions) },
              { header: 'Calls', num: true, cell: (r) => fmtInt(r.api_calls) },
              { header: 'Input', num: true, cell: (r) => fmtTokens(r.input_tokens) },
              { header: 'Output', num: true, cell: (r) => fmtTokens(r.output_tokens) },
              { header: 'Cache write', num: true, cell: (r) => fmtTokens(r.cache_creation_tokens) },
              { header: 'Cache read', num: true, cell: (r) => fmtTokens(r.cache_read_tokens) },
              { header: 'Cost', num: true, cell: (r) => `${fmtUsd(r.cost_usd)}${r.unpriced_calls > 0 ? '*' : ''}` },
            ]} />
          </Card>
        </div>
      )}
    </div>
  );
}
