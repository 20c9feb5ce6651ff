import type { OperationView } from '@writeback/contracts';
import { OperationChanges } from './operation-changes';

const OPERATION = '6f1c2a4e-1d7b-4a58-9d0e-2b9c7c1f0a11';
const OTHER = '0b8e4c55-3f2a-4c1e-8a7d-5e6f7a8b9c0d';

const applied: OperationView = {
  operationId: OPERATION,
  status: 'applied',
  kind: 'admin-reset',
  channel: 'admin-center',
  targetUpn: 'alice@corp.example.test',
  domainId: 'corp',
  caller: { subject: 'sspr-portal', issuer: null },
  reason: null,
  createdAt: '2026-12-02T10:00:00.000Z',
  updatedAt: '2026-12-02T10:00:01.000Z',
  completedAt: '2026-12-02T10:00:01.000Z',
  history: [],
};

describe('OperationChanges', () => {
  let sut: OperationChanges;

  beforeEach(() => {
    jest.useFakeTimers();
    sut = new OperationChanges();
  });

  afterEach(() => jest.useRealTimers());

  it('hands a watcher the view its operation was committed with', async () => {
    const watch = sut.watch(OPERATION, 1000);
    sut.changed(OPERATION, applied);
    await expect(watch.changed).resolves.toEqual(applied);
  });

  it('wakes a watcher without a view when the change carried none', async () => {
    const watch = sut.watch(OPERATION, 1000);
    sut.changed(OPERATION);
    await expect(watch.changed).resolves.toBeUndefined();
  });

  it('ignores changes of other operations and resolves empty when the time is up', async () => {
    const watch = sut.watch(OPERATION, 1000);
    sut.changed(OTHER, { ...applied, operationId: OTHER });
    jest.advanceTimersByTime(1000);
    await expect(watch.changed).resolves.toBeUndefined();
  });

  it('resolves empty on cancel and stops listening', async () => {
    const watch = sut.watch(OPERATION, 1000);
    watch.cancel();
    sut.changed(OPERATION, applied);
    await expect(watch.changed).resolves.toBeUndefined();
    const again = sut.watch(OPERATION, 1000);
    sut.changed(OPERATION, applied);
    await expect(again.changed).resolves.toEqual(applied);
  });

  it('lists the operations waited on, until their watches end', async () => {
    const first = sut.watch(OPERATION, 5_000);
    const second = sut.watch(OTHER, 5_000);
    expect(sut.watched().sort()).toEqual([OPERATION, OTHER].sort());

    sut.changed(OPERATION, applied);
    await first.changed;
    expect(sut.watched()).toEqual([OTHER]);

    second.cancel();
    expect(sut.watched()).toEqual([]);
  });
});
