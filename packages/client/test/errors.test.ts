/** Where the errors live: wire errors in the codec, connection errors in the client; K07Error is the base of both. */
import * as codec from "@k07/codec";
import * as client from "@k07/client";
import * as node from "@k07/transport-node";

const connectionErrors = ["ConnectionClosedError", "TimeoutError", "ProduceNotConfirmedError"] as const;

test("the codec exports the wire errors and K07Error, and no connection error", () => {
  for (const name of connectionErrors) expect(codec).not.toHaveProperty(name);
  for (const name of ["K07Error", "MalformedError", "CrcError", "FrameTooLargeError", "DecompressionLimitError", "BrokerError"]) {
    expect(codec).toHaveProperty(name);
  }
});

test("the client and the Node transport export the connection errors, K07Errors like the codec's", () => {
  for (const name of connectionErrors) {
    expect(node[name]).toBe(client[name]);
    expect(new client.ConnectionClosedError("x")).toBeInstanceOf(codec.K07Error);
  }
  const error = new client.ProduceNotConfirmedError("lost", [], { cause: new Error("reset") });
  expect(error).toBeInstanceOf(codec.K07Error);
  expect(error.name).toBe("ProduceNotConfirmedError");
  expect(new client.TimeoutError("late").name).toBe("TimeoutError");
});
