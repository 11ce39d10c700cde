"""The keeper: cranks the periodic markets' call auctions when their epochs end (``clear_epoch``, then
``settle_epoch`` chunk by chunk), prunes expired orders of continuous markets, and optionally settles
meters' surplus into GRID (``solgrid keeper run --config FILE``)."""
