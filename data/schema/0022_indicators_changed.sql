-- Every change to the indicator catalogue is announced: a definition written or deleted, and the version bump
-- that comes with every change of values. Each service instance serves the catalogue from memory and keys its
-- ETags and cached values and maps on these versions, so it reloads on this notification whoever made the change.
CREATE FUNCTION notify_indicators_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('indicators_changed', coalesce(NEW.id, OLD.id));
  RETURN NULL;
END
$$;

CREATE TRIGGER indicators_changed AFTER INSERT OR UPDATE OR DELETE ON indicators
  FOR EACH ROW EXECUTE FUNCTION notify_indicators_changed();
