using System.Globalization;
using System.Text;
using NetTopologySuite.IO;

namespace SpatialRegion.Api.Layers.Filtering;

/// <summary>
/// Reads CQL2 text (OGC 21-065) into a <see cref="FilterExpression"/>: basic CQL2 (comparisons, AND/OR/NOT,
/// IS NULL, booleans), advanced comparisons (LIKE, BETWEEN, IN, each with NOT), CASEI, DATE/TIMESTAMP literals
/// and the spatial functions S_* over WKT, BBOX (and the draft's ENVELOPE). Keywords are case-insensitive,
/// property names are not. A syntax error is a 400 that names the character position (1-based).
/// </summary>
public sealed class Cql2TextParser
{
    // Two-character symbols first, so that "<=" is not read as "<" and "=".
    private static readonly string[] Symbols = ["<>", "<=", ">=", "(", ")", ",", "=", "<", ">", "+", "-", "*", "/", "[", "]"];

    private readonly string _text;
    private readonly Cql2Settings _settings;
    private int _pos;
    private Token? _peeked;
    private int _depth;

    private Cql2TextParser(string text, Cql2Settings settings)
    {
        _text = text;
        _settings = settings;
    }

    public static FilterExpression Parse(string text, Cql2Settings? settings = null)
    {
        var parser = new Cql2TextParser(text, settings ?? Cql2Settings.Default);
        if (string.IsNullOrWhiteSpace(text))
        {
            throw parser.Error(0, "the filter is empty");
        }
        if (text.Length > Cql2.MaxCharacters)
        {
            throw new InvalidQueryException("filter", $"The filter is longer than {Cql2.MaxCharacters} characters.");
        }
        var expression = parser.Or();
        var end = parser.Next();
        if (end.Kind != TokenKind.End)
        {
            throw parser.Error(end, $"unexpected {Describe(end)}; expected AND, OR or the end of the filter");
        }
        return expression;
    }

    private enum TokenKind
    {
        Word,
        QuotedName,
        String,
        Number,
        Symbol,
        End,
    }

    private readonly record struct Token(TokenKind Kind, string Text, int Start, int End)
    {
        public bool IsWord(string word) => Kind == TokenKind.Word && Text.Equals(word, StringComparison.OrdinalIgnoreCase);

        public bool IsSymbol(string symbol) => Kind == TokenKind.Symbol && Text == symbol;
    }

    /// <summary>A property that names the layer's geometry, used where a scalar was expected (only IS NULL makes sense).</summary>
    private sealed record GeometryReference : ScalarExpression;

    private FilterExpression Or()
    {
        var operands = new List<FilterExpression> { And() };
        while (Peek().IsWord("OR"))
        {
            Next();
            operands.Add(And());
        }
        return operands.Count == 1 ? operands[0] : new OrExpression(operands);
    }

    private FilterExpression And()
    {
        var operands = new List<FilterExpression> { Not() };
        while (Peek().IsWord("AND"))
        {
            Next();
            operands.Add(Not());
        }
        return operands.Count == 1 ? operands[0] : new AndExpression(operands);
    }

    private FilterExpression Not()
    {
        if (Peek().IsWord("NOT"))
        {
            var not = Next();
            return new NotExpression(Nested(not, Not));
        }
        return Primary();
    }

    private FilterExpression Primary()
    {
        var token = Peek();
        if (token.IsSymbol("("))
        {
            Next();
            var inner = Nested(token, Or);
            Expect(")");
            return inner;
        }
        if (token.Kind == TokenKind.Word && Cql2.SpatialFunctions.TryGetValue(token.Text, out var op))
        {
            Next();
            Expect("(");
            var left = GeometryOperand();
            Expect(",");
            var right = GeometryOperand();
            Expect(")");
            return new SpatialPredicate(op, left, right);
        }
        if (token.Kind == TokenKind.Word && (token.Text.StartsWith("T_", StringComparison.OrdinalIgnoreCase)
            || token.Text.StartsWith("A_", StringComparison.OrdinalIgnoreCase)) && PeekAfter(token).IsSymbol("("))
        {
            throw Error(token, $"{token.Text.ToUpperInvariant()} is not supported: temporal and array functions are not offered (see /conformance)");
        }
        var value = Scalar();
        return Predicate(value, token);
    }

    /// <summary>One level deeper: refused past <see cref="Cql2.MaxNesting"/>, before the stack can run out.</summary>
    private T Nested<T>(Token at, Func<T> parse)
    {
        if (++_depth > Cql2.MaxNesting)
        {
            throw Error(at, $"the filter nests more than {Cql2.MaxNesting} levels deep (parentheses, NOT, CASEI)");
        }
        try
        {
            return parse();
        }
        finally
        {
            _depth--;
        }
    }

    private FilterExpression Predicate(ScalarExpression value, Token start)
    {
        var next = Peek();
        if (next.Kind == TokenKind.Symbol && Cql2.Comparisons.TryGetValue(next.Text, out var comparison))
        {
            Next();
            var right = Scalar();
            RejectGeometry(value, start);
            RejectGeometry(right, next);
            return new Comparison(comparison, value, right);
        }
        var negated = false;
        if (next.IsWord("NOT"))
        {
            Next();
            negated = true;
            next = Peek();
            if (!(next.IsWord("LIKE") || next.IsWord("BETWEEN") || next.IsWord("IN")))
            {
                throw Error(next, $"expected LIKE, BETWEEN or IN after NOT, found {Describe(next)}");
            }
        }
        FilterExpression predicate;
        if (next.IsWord("LIKE"))
        {
            Next();
            var patternToken = Peek();
            var pattern = Scalar();
            if (!Cql2.IsTextPattern(pattern))
            {
                throw Error(patternToken, "LIKE needs a text pattern in quotes, optionally inside CASEI()");
            }
            RejectGeometry(value, start);
            predicate = new LikeExpression(value, pattern);
        }
        else if (next.IsWord("BETWEEN"))
        {
            Next();
            var low = Scalar();
            var and = Next();
            if (!and.IsWord("AND"))
            {
                throw Error(and, $"expected AND in BETWEEN, found {Describe(and)}");
            }
            var high = Scalar();
            RejectGeometry(value, start);
            predicate = new BetweenExpression(value, low, high);
        }
        else if (next.IsWord("IN"))
        {
            Next();
            Expect("(");
            var list = new List<ScalarExpression> { Scalar() };
            while (Peek().IsSymbol(","))
            {
                Next();
                list.Add(Scalar());
            }
            Expect(")");
            RejectGeometry(value, start);
            predicate = new InExpression(value, list);
        }
        else if (next.IsWord("IS"))
        {
            Next();
            var not = Peek().IsWord("NOT");
            if (not)
            {
                Next();
            }
            var nul = Next();
            if (!nul.IsWord("NULL"))
            {
                throw Error(nul, $"expected NULL after IS{(not ? " NOT" : "")}, found {Describe(nul)}");
            }
            // Every feature has a geometry (the registry requires one).
            FilterExpression isNull = value is GeometryReference ? new BooleanConstant(false) : new IsNullExpression(value);
            return not ? new NotExpression(isNull) : isNull;
        }
        else if (value is Literal { Value: bool b })
        {
            return new BooleanConstant(b);
        }
        else
        {
            throw Error(next, $"expected a comparison (=, <>, <, <=, >, >=), LIKE, BETWEEN, IN or IS NULL, found {Describe(next)}");
        }
        return negated ? new NotExpression(predicate) : predicate;
    }

    private void RejectGeometry(ScalarExpression e, Token at)
    {
        if (e is GeometryReference)
        {
            throw Error(at, $"'{_settings.GeometryName}' is a geometry; compare it with the spatial functions S_INTERSECTS, S_WITHIN, ...");
        }
    }

    private ScalarExpression Scalar()
    {
        var token = Next();
        switch (token.Kind)
        {
            case TokenKind.String:
                return new Literal(token.Text);
            case TokenKind.Number:
                return new Literal(NumberValue(token, token.Text));
            case TokenKind.Symbol when (token.Text is "-" or "+") && Peek().Kind == TokenKind.Number:
                var number = Next();
                return new Literal(NumberValue(number, token.Text + number.Text));
            case TokenKind.QuotedName:
                return Property(token);
            case TokenKind.Word:
                if (token.IsWord("TRUE") || token.IsWord("FALSE"))
                {
                    return new Literal(token.IsWord("TRUE"));
                }
                if (token.IsWord("DATE") && Peek().IsSymbol("("))
                {
                    var text = StringArgument("DATE");
                    return Cql2.TryParseDate(text.Text, out var date)
                        ? new Literal(date)
                        : throw Error(text, $"DATE needs 'YYYY-MM-DD', got '{text.Text}'");
                }
                if (token.IsWord("TIMESTAMP") && Peek().IsSymbol("("))
                {
                    var text = StringArgument("TIMESTAMP");
                    return Cql2.TryParseTimestamp(text.Text, out var instant)
                        ? new Literal(instant)
                        : throw Error(text, $"TIMESTAMP needs an RFC 3339 time such as '2024-01-31T12:00:00Z', got '{text.Text}'");
                }
                if (token.IsWord("CASEI") && Peek().IsSymbol("("))
                {
                    Next();
                    var operand = Nested(token, Scalar);
                    Expect(")");
                    return new CaseInsensitive(operand);
                }
                if (token.IsWord("ACCENTI") && Peek().IsSymbol("("))
                {
                    throw Error(token, "ACCENTI is not supported (accent-insensitive comparison is not offered; see /conformance)");
                }
                if (token.IsWord("INTERVAL") && Peek().IsSymbol("("))
                {
                    throw Error(token, "INTERVAL is not supported: temporal functions are not offered (see /conformance)");
                }
                if (Peek().IsSymbol("("))
                {
                    throw Error(token, $"unknown function '{token.Text}'");
                }
                return Property(token);
            case TokenKind.Symbol when token.Text is "+" or "-" or "*" or "/":
                throw Error(token, "arithmetic is not supported");
            default:
                throw Error(token, $"expected a property, a text in quotes, a number, TRUE/FALSE, DATE(), TIMESTAMP() or CASEI(), found {Describe(token)}");
        }
    }

    private ScalarExpression Property(Token token)
    {
        if (token.Text == _settings.GeometryName)
        {
            return new GeometryReference();
        }
        var after = Peek();
        if (after.Kind == TokenKind.Symbol && after.Text is "+" or "-" or "*" or "/")
        {
            throw Error(after, "arithmetic is not supported");
        }
        return new PropertyReference(token.Text);
    }

    private Token StringArgument(string function)
    {
        Expect("(");
        var text = Next();
        if (text.Kind != TokenKind.String)
        {
            throw Error(text, $"{function}() takes a text in single quotes, found {Describe(text)}");
        }
        Expect(")");
        return text;
    }

    private object NumberValue(Token at, string text)
    {
        if (!text.Contains('.', StringComparison.Ordinal) && !text.Contains('e', StringComparison.OrdinalIgnoreCase)
            && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole))
        {
            return whole;
        }
        if (!text.Contains('e', StringComparison.OrdinalIgnoreCase)
            && decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var exact))
        {
            return exact;
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
            ? d
            : throw Error(at, $"'{text}' is not a number");
    }

    private GeometryOperand GeometryOperand()
    {
        var token = Peek();
        if (token.Kind is TokenKind.Word or TokenKind.QuotedName && token.Text == _settings.GeometryName
            && !(token.Kind == TokenKind.Word && IsWktKeyword(token.Text)))
        {
            Next();
            return new LayerGeometry();
        }
        if (token.Kind == TokenKind.Word && (token.IsWord("BBOX") || token.IsWord("ENVELOPE")))
        {
            Next();
            Expect("(");
            var numbers = new List<double> { SignedNumber() };
            while (Peek().IsSymbol(","))
            {
                Next();
                numbers.Add(SignedNumber());
            }
            Expect(")");
            return _settings.Box(numbers, message => Error(token, message));
        }
        if (token.Kind == TokenKind.Word && IsWktKeyword(token.Text))
        {
            var end = WktEnd(token);
            var wkt = _text[token.Start..end];
            NetTopologySuite.Geometries.Geometry geometry;
            try
            {
                geometry = new WKTReader().Read(wkt);
            }
            catch (Exception e) when (e is ParseException or ArgumentException or FormatException or InvalidOperationException)
            {
                throw Error(token, $"invalid {token.Text.ToUpperInvariant()} literal: {e.Message}");
            }
            _pos = end;
            _peeked = null;
            return _settings.Literal(geometry);
        }
        if (token.Kind is TokenKind.Word or TokenKind.QuotedName)
        {
            throw Error(token, $"'{token.Text}' is not a geometry; the layer's geometry is queryable as '{_settings.GeometryName}'");
        }
        throw Error(token, $"expected a geometry (the property '{_settings.GeometryName}', WKT such as POINT(14.6 63.2), or BBOX(...)), found {Describe(token)}");
    }

    private double SignedNumber()
    {
        var token = Next();
        var text = token.Text;
        if (token.Kind == TokenKind.Symbol && text is "-" or "+" && Peek().Kind == TokenKind.Number)
        {
            text += Next().Text;
        }
        else if (token.Kind != TokenKind.Number)
        {
            throw Error(token, $"expected a number, found {Describe(token)}");
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
            ? d
            : throw Error(token, $"'{text}' is not a number");
    }

    private static bool IsWktKeyword(string word) => word.ToUpperInvariant() is
        "POINT" or "LINESTRING" or "POLYGON" or "MULTIPOINT" or "MULTILINESTRING" or "MULTIPOLYGON" or "GEOMETRYCOLLECTION";

    /// <summary>The end of a WKT literal: its tag, an optional Z/M/ZM, then EMPTY or balanced parentheses.</summary>
    private int WktEnd(Token tag)
    {
        var i = tag.End;
        i = SkipSpace(i);
        var wordStart = i;
        while (i < _text.Length && char.IsAsciiLetter(_text[i]))
        {
            i++;
        }
        var word = _text[wordStart..i].ToUpperInvariant();
        if (word == "EMPTY")
        {
            return i;
        }
        if (word is not ("" or "Z" or "M" or "ZM"))
        {
            throw Error(wordStart, $"unexpected '{word}' in a {tag.Text.ToUpperInvariant()} literal");
        }
        i = SkipSpace(i);
        if (i >= _text.Length || _text[i] != '(')
        {
            throw Error(i, $"expected '(' after {tag.Text.ToUpperInvariant()}");
        }
        var depth = 0;
        for (; i < _text.Length; i++)
        {
            if (_text[i] == '(' && ++depth > Cql2.MaxWktNesting)
            {
                throw Error(i, $"the {tag.Text.ToUpperInvariant()} literal nests more than {Cql2.MaxWktNesting} parentheses deep");
            }
            else if (_text[i] == ')' && --depth == 0)
            {
                return i + 1;
            }
        }
        throw Error(tag, $"the {tag.Text.ToUpperInvariant()} literal has no closing ')'");
    }

    private int SkipSpace(int i)
    {
        while (i < _text.Length && char.IsWhiteSpace(_text[i]))
        {
            i++;
        }
        return i;
    }

    private void Expect(string symbol)
    {
        var token = Next();
        if (!token.IsSymbol(symbol))
        {
            throw Error(token, $"expected '{symbol}', found {Describe(token)}");
        }
    }

    private Token Peek() => _peeked ??= Lex();

    private Token PeekAfter(Token current)
    {
        var (pos, peeked) = (_pos, _peeked);
        _pos = current.End;
        _peeked = null;
        var after = Lex();
        (_pos, _peeked) = (pos, peeked);
        return after;
    }

    private Token Next()
    {
        var token = Peek();
        _peeked = null;
        return token;
    }

    private Token Lex()
    {
        _pos = SkipSpace(_pos);
        var start = _pos;
        if (_pos >= _text.Length)
        {
            return new Token(TokenKind.End, "", start, start);
        }
        var c = _text[_pos];
        if (c == '\'')
        {
            var value = new StringBuilder();
            _pos++;
            while (true)
            {
                if (_pos >= _text.Length)
                {
                    throw Error(start, "the text starting here has no closing quote");
                }
                var ch = _text[_pos];
                if (ch == '\'' && _pos + 1 < _text.Length && _text[_pos + 1] == '\'')
                {
                    value.Append('\'');
                    _pos += 2;
                }
                else if (ch == '\\' && _pos + 1 < _text.Length && _text[_pos + 1] == '\'')
                {
                    // CQL2 1.0 also allows \' for a quote inside text.
                    value.Append('\'');
                    _pos += 2;
                }
                else if (ch == '\'')
                {
                    _pos++;
                    return new Token(TokenKind.String, value.ToString(), start, _pos);
                }
                else
                {
                    value.Append(ch);
                    _pos++;
                }
            }
        }
        if (c == '"')
        {
            var close = _text.IndexOf('"', _pos + 1);
            if (close < 0)
            {
                throw Error(start, "the quoted property name starting here has no closing '\"'");
            }
            _pos = close + 1;
            var name = _text[(start + 1)..close];
            return name.Length == 0 ? throw Error(start, "a property name cannot be empty") : new Token(TokenKind.QuotedName, name, start, _pos);
        }
        if (char.IsAsciiDigit(c) || (c == '.' && _pos + 1 < _text.Length && char.IsAsciiDigit(_text[_pos + 1])))
        {
            while (_pos < _text.Length && (char.IsAsciiDigit(_text[_pos]) || _text[_pos] == '.'))
            {
                _pos++;
            }
            if (_pos < _text.Length && _text[_pos] is 'e' or 'E')
            {
                var save = _pos;
                _pos++;
                if (_pos < _text.Length && _text[_pos] is '+' or '-')
                {
                    _pos++;
                }
                if (_pos < _text.Length && char.IsAsciiDigit(_text[_pos]))
                {
                    while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos]))
                    {
                        _pos++;
                    }
                }
                else
                {
                    _pos = save;
                }
            }
            return new Token(TokenKind.Number, _text[start.._pos], start, _pos);
        }
        if (IsNameStart(c))
        {
            while (_pos < _text.Length && IsNamePart(_text[_pos]))
            {
                _pos++;
            }
            return new Token(TokenKind.Word, _text[start.._pos], start, _pos);
        }
        foreach (var symbol in Symbols)
        {
            if (string.CompareOrdinal(_text, _pos, symbol, 0, symbol.Length) == 0)
            {
                _pos += symbol.Length;
                return new Token(TokenKind.Symbol, symbol, start, _pos);
            }
        }
        throw Error(start, $"unexpected character '{c}'");
    }

    // CQL2 identifiers follow XML names: letters, '_' and ':' to start; digits, '.' and combining marks after.
    private static bool IsNameStart(char c) => char.IsLetter(c) || c is '_' or ':';

    private static bool IsNamePart(char c) =>
        IsNameStart(c) || char.IsAsciiDigit(c) || c == '.' || (c >= '\u0300' && c <= '\u036F');

    private static string Describe(Token t) => t.Kind switch
    {
        TokenKind.End => "the end of the filter",
        TokenKind.String => $"the text '{t.Text}'",
        TokenKind.QuotedName => $"\"{t.Text}\"",
        _ => $"'{t.Text}'",
    };

    private InvalidQueryException Error(Token token, string message) => Error(token.Start, message);

    private InvalidQueryException Error(int index, string message) =>
        new("filter", string.Create(CultureInfo.InvariantCulture,
            $"CQL2 syntax error at position {index + 1}: {message}. Filter: {_text}"));
}
