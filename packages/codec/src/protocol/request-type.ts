// Request => type:int16 … with type 0 Produce, 1 Fetch, 2 MultiFetch, 3 MultiProduce, 4 Offsets.
/** Request type ids of Kafka 0.7 (`RequestKeys.scala`); there are no others. */
export const RequestType = {
  Produce: 0,
  Fetch: 1,
  MultiFetch: 2,
  MultiProduce: 3,
  Offsets: 4,
} as const;
export type RequestType = (typeof RequestType)[keyof typeof RequestType];

/** The name of a request type, as errors give it. */
export function requestTypeName(type: number): string {
  switch (type) {
    case RequestType.Produce:
      return "Produce";
    case RequestType.Fetch:
      return "Fetch";
    case RequestType.MultiFetch:
      return "MultiFetch";
    case RequestType.MultiProduce:
      return "MultiProduce";
    case RequestType.Offsets:
      return "Offsets";
    default:
      return `unknown request type ${type}`;
  }
}
