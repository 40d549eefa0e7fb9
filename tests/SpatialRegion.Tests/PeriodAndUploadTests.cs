using SpatialRegion.Api.Indicators;
using SpatialRegion.Api.Infrastructure;

namespace SpatialRegion.Tests;

public sealed class PeriodAndUploadTests
{
    [Theory]
    [InlineData("2024", PeriodType.Year, "2024", "2024-01-01", "2024-12-31")]
    [InlineData("2024-Q3", PeriodType.Quarter, "2024-Q3", "2024-07-01", "2024-09-30")]
    [InlineData("2024K1", PeriodType.Quarter, "2024-Q1", "2024-01-01", "2024-03-31")]
    [InlineData("2024-02", PeriodType.Month, "2024-02", "2024-02-01", "2024-02-29")]
    public void Periods_have_a_canonical_text_and_their_first_and_last_day(string text, PeriodType type, string canonical, string start, string end)
    {
        var p = Period.Parse(text, type);
        Assert.Equal(canonical, p.Text);
        Assert.Equal(DateOnly.Parse(start, System.Globalization.CultureInfo.InvariantCulture), p.Start);
        Assert.Equal(DateOnly.Parse(end, System.Globalization.CultureInfo.InvariantCulture), p.End);
    }

    [Theory]
    [InlineData("24", PeriodType.Year)]
    [InlineData("2024-13", PeriodType.Month)]
    [InlineData("2024-Q5", PeriodType.Quarter)]
    [InlineData("2024", PeriodType.Month)]
    [InlineData("", PeriodType.Year)]
    public void Malformed_periods_are_refused(string text, PeriodType type) => Assert.False(Period.TryParse(text, type, out _));

    [Fact]
    public void A_published_date_is_a_period_only_when_it_ends_one()
    {
        Assert.True(Period.TryFromEndDate("2024-12-31", PeriodType.Year, out var year));
        Assert.Equal("2024", year.Text);
        Assert.False(Period.TryFromEndDate("2017-06-30", PeriodType.Year, out _));
        Assert.True(Period.TryFromEndDate("2017-06-30", PeriodType.Quarter, out var quarter));
        Assert.Equal("2017-Q2", quarter.Text);
    }

    [Fact]
    public void Kolada_county_and_country_codes_are_read_as_SCB_codes()
    {
        Assert.Equal("23", AreaCodes.Normalise("0023"));
        Assert.Equal("00", AreaCodes.Normalise("0000"));
        Assert.Equal("2380", AreaCodes.Normalise("2380"));
        Assert.Equal("0023", AreaCodes.ToKolada("23"));
        Assert.Equal(AreaCodes.Tatort, AreaCodes.LevelOf("2380TC114"));
    }

    [Fact]
    public void Csv_upload_rows_are_numbered_from_the_first_data_row_and_quotes_are_honoured()
    {
        var rows = ValueUpload.ReadCsv(new StringReader("area,period,value,status\r\n2380,2024,\"1.5\",\"a, b\"\r\n23,2024,,missing\r\n"), "test");
        Assert.Equal(2, rows.Count);
        Assert.Equal((1, "2380", "1.5", "a, b"), (rows[0].Row, rows[0].Area, rows[0].Value, rows[0].Status));
        Assert.Equal(2, rows[1].Row);
        var e = Assert.Throws<UploadException>(() => ValueUpload.ReadCsv(new StringReader("area,period,value\n2380,2024\n"), "test"));
        Assert.Equal(1, e.Row);
        Assert.Throws<UploadException>(() => ValueUpload.ReadCsv(new StringReader("area,when,value\n"), "test"));
        Assert.Throws<FormatException>(() => Csv.Read(new StringReader("a,\"b\n")).ToList());
    }
}
