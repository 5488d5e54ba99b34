"""The dialog stage: multi-turn conversation from understood input to cart, order and spoken reply."""
