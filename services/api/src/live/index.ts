/** The live stream (server-sent events): placeholder until it lands. */
export {};
