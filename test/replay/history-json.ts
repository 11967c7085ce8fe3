// Temporal's JSON history format (what `temporal workflow show --output json` and the UI's
// download write) to and from the SDK's History object.
//
// Why not the SDK's historyToJSON / historyFromJSON (@temporalio/common/lib/proto-utils): in this
// dependency tree @temporalio/common, @temporalio/proto and @temporalio/worker each get their own
// copy of protobufjs 8 (the root node_modules holds protobufjs 7 for another package), and those
// helpers check the History type of @temporalio/proto's copy against @temporalio/common's copy:
// both throw "type must be a Type". So does Worker.runReplayHistories when handed JSON. Here the
// ProtoJSON codec is taken from the same protobufjs copy as the type, which works in either layout
// (nested or deduplicated), and replay is handed the History object.
import { createRequire } from 'node:module';
import type { History } from '@temporalio/common/lib/proto-utils.js';

type ProtoType = { name: string };
type ProtoJson = {
  toJson: (type: ProtoType, message: unknown) => unknown;
  fromJson: (type: ProtoType, json: unknown, options?: object) => unknown;
};

const fromHere = createRequire(import.meta.url);
const fromProto = createRequire(fromHere.resolve('@temporalio/proto'));
const protojson = fromProto('protobufjs/ext/protojson') as ProtoJson;
const { patchProtobufRoot } = fromProto('@temporalio/proto/lib/patch-protobuf-root') as {
  patchProtobufRoot: (root: unknown) => { lookupType: (name: string) => ProtoType };
};
const historyType = patchProtobufRoot(fromProto('@temporalio/proto')).lookupType('temporal.api.history.v1.History');

/** A History (as `fetchHistory()` returns it) as JSON text, indented like Temporal's own exports. */
export function historyToJson(history: History): string {
  return JSON.stringify(protojson.toJson(historyType, history), null, 2);
}

/** Parsed JSON history → the History object replay takes. */
export function historyFromJson(json: unknown): History {
  const history = protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History | null;
  if (!history?.events?.length) throw new TypeError('not a Temporal history: expected {"events": [...]}');
  return history;
}
