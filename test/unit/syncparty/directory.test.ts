// The in-memory room directory through the shared suite (the Redis one: test/system/cluster).
import { MemoryDirectory } from "../../../src/protocols/syncparty/directory.ts";
import { directorySuite } from "../../helpers/party-directory.ts";

directorySuite("memory", () => new MemoryDirectory());
