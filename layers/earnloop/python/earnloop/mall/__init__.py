"""The points mall: rewards, stock, coupons, redemptions and orders."""
