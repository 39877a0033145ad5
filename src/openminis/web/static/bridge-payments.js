// Bridge methods for buying with coins: products, the pay sheet, and what the person owns.
// @ts-check

import { BridgeError, RUNNING, registerMethod } from "./bridge.js";
import { PaySheet, localTitle, payRequest } from "./pay-sheet.js";

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

// The person's coupons for this app (never another app's): what the pay sheet will offer.
registerMethod("getCoupons", {
  states: RUNNING,
  handler: async (params, session) => {
    const productId = params?.productId;
    if (productId !== undefined && (typeof productId !== "string" || !/^(?!\.+$)[A-Za-z0-9_.-]{1,64}$/.test(productId))) {
      throw new BridgeError("INVALID_ARGUMENT", "productId: 1-64 characters of A-Z a-z 0-9 _ . -");
    }
    const { items } = await session.api.coupons(session.appId, { productId });
    return items.map((coupon) => ({
      id: coupon.id,
      title: coupon.title,
      amountOff: coupon.amount_off,
      percentOffBps: coupon.percent_off_bps,
      maxOff: coupon.max_off,
      productIds: coupon.product_ids,
      endsAt: coupon.ends_at,
      usesLeft: coupon.uses_left,
      ...(productId ? { discount: coupon.discount, price: coupon.price, pay: coupon.pay } : {}),
    }));
  },
});

registerMethod("getPurchases", {
  states: RUNNING,
  handler: async (params, session) => {
    const { items } = await session.api.purchases(session.appId);
    return items.map((item) => ({ productId: item.product_id, orderId: item.order_id, grantedAt: item.granted_at }));
  },
});
