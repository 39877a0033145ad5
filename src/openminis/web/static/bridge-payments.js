// Bridge methods for buying with coins: products, the pay sheet, and what the person owns.
// @ts-check

import { registerMethod } from "./bridge.js";
import { PaySheet, localTitle, payRequest } from "./pay-sheet.js";

const RUNNING = ["initialized", "ready"];

registerMethod("getProducts", {
  states: RUNNING,
  handler: async (params, session) => {
    const { items } = await session.api.products(session.appId);
    return items.map((product) => ({ id: product.id, type: product.type, price: product.price, title: localTitle(product.title) }));
  },
});

registerMethod("pay", {
  states: RUNNING,
  handler: (params, session) => {
    const request = payRequest(params);
    session.checkMaySheet("pay");
    return new PaySheet(session, request).run();
  },
});

registerMethod("getPurchases", {
  states: RUNNING,
  handler: async (params, session) => {
    const { items } = await session.api.purchases(session.appId);
    return items.map((item) => ({ productId: item.product_id, orderId: item.order_id, grantedAt: item.granted_at }));
  },
});
