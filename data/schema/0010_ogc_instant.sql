-- OGC API datetime filters compare the instant a layer's time property holds. Properties are jsonb text, so
-- the text is read here as an ISO 8601 date or date-time: in UTC when it carries no offset (a date is its
-- midnight), and null when it is no date at all, so that one odd value drops out of a result instead of
-- failing the whole query. The time zone is fixed by the function, which makes the result immutable.
CREATE FUNCTION ogc_instant(value text) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET TimeZone = 'UTC'
AS $$
BEGIN
  IF value IS NULL OR value !~ '^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)?)?$' THEN
    RETURN NULL;
  END IF;
  RETURN value::timestamptz;
EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
  RETURN NULL;
END
$$;
