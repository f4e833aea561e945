// Character tables of ftfy 6.3.1 (rspeer/python-ftfy), re-derived as data for the Swift port
// in FTFY.swift. Each table names the Python definition it reproduces, so it can be checked
// again: the code pages are what Python's codecs (and ftfy's "sloppy" codecs, which pass
// unassigned bytes through as U+0080...U+00FF) decode bytes 0x80...0xFF to; the character
// classes are the members of ftfy's regex classes; the width map is `unicodedata`'s NFKC.

/// Data tables for the ftfy subset (code pages, mojibake character classes, width map).
enum FTFYTables {
    // MARK: - Single-byte code pages (chardata.CHARMAP_ENCODINGS; latin-1 is the identity)

    /// `sloppy-windows-1252`: the 128 scalars that bytes 0x80...0xFF decode to.
    static let sloppyWindows1252 = """
        €\u{81}‚ƒ„…†‡ˆ‰Š‹Œ\u{8D}Ž\u{8F}\u{90}‘’“”•–—˜™š›œ\u{9D}žŸ\
        \u{A0}¡¢£¤¥¦§¨©ª«¬\u{AD}®¯°±²³´µ¶·¸¹º»¼½¾¿\
        ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞß\
        àáâãäåæçèéêëìíîïðñòóôõö÷øùúûüýþÿ
        """

    /// `sloppy-windows-1251`: the 128 scalars that bytes 0x80...0xFF decode to.
    static let sloppyWindows1251 = """
        ЂЃ‚ѓ„…†‡€‰Љ‹ЊЌЋЏђ‘’“”•–—\u{98}™љ›њќћџ\
        \u{A0}ЎўЈ¤Ґ¦§Ё©Є«¬\u{AD}®Ї°±Ііґµ¶·ё№є»јЅѕї\
        АБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ\
        абвгдежзийклмнопрстуфхцчшщъыьэюя
        """

    /// `sloppy-windows-1250`: the 128 scalars that bytes 0x80...0xFF decode to.
    static let sloppyWindows1250 = """
        €\u{81}‚\u{83}„…†‡\u{88}‰Š‹ŚŤŽŹ\u{90}‘’“”•–—\u{98}™š›śťžź\
        \u{A0}ˇ˘Ł¤Ą¦§¨©Ş«¬\u{AD}®Ż°±˛ł´µ¶·¸ąş»Ľ˝ľż\
        ŔÁÂĂÄĹĆÇČÉĘËĚÍÎĎĐŃŇÓÔŐÖ×ŘŮÚŰÜÝŢß\
        ŕáâăäĺćçčéęëěíîďđńňóôőö÷řůúűüýţ˙
        """

    /// `sloppy-windows-1253`: the 128 scalars that bytes 0x80...0xFF decode to.
    static let sloppyWindows1253 = """
        €\u{81}‚ƒ„…†‡\u{88}‰\u{8A}‹\u{8C}\u{8D}\u{8E}\u{8F}\u{90}\
        ‘’“”•–—\u{98}™\u{9A}›\u{9C}\u{9D}\u{9E}\u{9F}\
        \u{A0}΅Ά£¤¥¦§¨©ª«¬\u{AD}®―°±²³΄µ¶·ΈΉΊ»Ό½ΎΏ\
        ΐΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡÒΣΤΥΦΧΨΩΪΫάέήί\
        ΰαβγδεζηθικλμνξοπρςστυφχψωϊϋόύώÿ
        """

    /// `sloppy-windows-1254`: the 128 scalars that bytes 0x80...0xFF decode to.
    static let sloppyWindows1254 = """
        €\u{81}‚ƒ„…†‡ˆ‰Š‹Œ\u{8D}\u{8E}\u{8F}\u{90}‘’“”•–—˜™š›œ\u{9D}\u{9E}Ÿ\
        \u{A0}¡¢£¤¥¦§¨©ª«¬\u{AD}®¯°±²³´µ¶·¸¹º»¼½¾¿\
        ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏĞÑÒÓÔÕÖ×ØÙÚÛÜİŞß\
        àáâãäåæçèéêëìíîïğñòóôõö÷øùúûüışÿ
        """

    /// `sloppy-windows-1257`: the 128 scalars that bytes 0x80...0xFF decode to.
    static let sloppyWindows1257 = """
        €\u{81}‚\u{83}„…†‡\u{88}‰\u{8A}‹\u{8C}¨ˇ¸\u{90}\
        ‘’“”•–—\u{98}™\u{9A}›\u{9C}¯˛\u{9F}\
        \u{A0}¡¢£¤¥¦§Ø©Ŗ«¬\u{AD}®Æ°±²³´µ¶·ø¹ŗ»¼½¾æ\
        ĄĮĀĆÄÅĘĒČÉŹĖĢĶĪĻŠŃŅÓŌÕÖ×ŲŁŚŪÜŻŽß\
        ąįāćäåęēčéźėģķīļšńņóōõö÷ųłśūüżž˙
        """

    /// `iso-8859-2`: the 128 scalars that bytes 0x80...0xFF decode to.
    static let iso8859_2 = """
        \u{80}\u{81}\u{82}\u{83}\u{84}\u{85}\u{86}\u{87}\u{88}\u{89}\u{8A}\u{8B}\u{8C}\u{8D}\u{8E}\u{8F}\
        \u{90}\u{91}\u{92}\u{93}\u{94}\u{95}\u{96}\u{97}\u{98}\u{99}\u{9A}\u{9B}\u{9C}\u{9D}\u{9E}\u{9F}\
        \u{A0}Ą˘Ł¤ĽŚ§¨ŠŞŤŹ\u{AD}ŽŻ°ą˛ł´ľśˇ¸šşťź˝žż\
        ŔÁÂĂÄĹĆÇČÉĘËĚÍÎĎĐŃŇÓÔŐÖ×ŘŮÚŰÜÝŢß\
        ŕáâăäĺćçčéęëěíîďđńňóôőö÷řůúűüýţ˙
        """

    /// `macroman`: the 128 scalars that bytes 0x80...0xFF decode to.
    static let macRoman = """
        ÄÅÇÉÑÖÜáàâäãåçéèêëíìîïñóòôöõúùûü\
        †°¢£§•¶ß®©™´¨≠ÆØ∞±≤≥¥µ∂∑∏π∫ªºΩæø\
        ¿¡¬√ƒ≈∆«»…\u{A0}ÀÃÕŒœ–—“”‘’÷◊ÿŸ⁄€‹›ﬁﬂ\
        ‡·‚„‰ÂÊÁËÈÍÎÏÌÓÔ\u{F8FF}ÒÚÛÙıˆ˜¯˘˙˚¸˝˛ˇ
        """

    /// `cp437`: the 128 scalars that bytes 0x80...0xFF decode to.
    static let cp437 = """
        ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒ\
        áíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐\
        └┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀\
        αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{A0}
        """
    // MARK: - Character classes (badness.MOJIBAKE_CATEGORIES, chardata.UTF8_CLUES)

    /// `common`: 9 scalars.
    static let common = """
        \u{A0}\u{AD}´·–—―’…
        """

    /// `c1`: 32 scalars.
    static let c1 = """
        \u{80}\u{81}\u{82}\u{83}\u{84}\u{85}\u{86}\u{87}\u{88}\u{89}\u{8A}\u{8B}\u{8C}\u{8D}\u{8E}\u{8F}\
        \u{90}\u{91}\u{92}\u{93}\u{94}\u{95}\u{96}\u{97}\u{98}\u{99}\u{9A}\u{9B}\u{9C}\u{9D}\u{9E}\u{9F}
        """

    /// `bad`: 20 scalars.
    static let bad = """
        ¤¦¨ª¬¯¸ºƒˆˇ˘˛˜†‡‰⌐◊\u{FFFD}
        """

    /// `law`: 2 scalars.
    static let law = """
        §¶
        """

    /// `currency`: 5 scalars.
    static let currency = """
        ¢£¥₧€
        """

    /// `start_punctuation`: 13 scalars.
    static let startPunctuation = """
        ¡©«¿΄΅‘‚“„•‹\u{F8FF}
        """

    /// `end_punctuation`: 6 scalars.
    static let endPunctuation = """
        ®»˝”›™
        """

    /// `numeric`: 25 scalars.
    static let numeric = """
        ±²³µ¹¼½¾×÷⁄№∂∆∏∑√∞∩∫≈≠≡≤≥
        """

    /// `kaomoji`: 24 scalars.
    static let kaomoji = """
        °ÒÓÔÕÖÙÚÛÜòóôõöøùúûüŌŐŪŲ
        """

    /// `upper_accented`: 58 scalars.
    static let upperAccented = """
        ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑØÜÝĀĂĄĆČĎĐĒĖĘĚ\
        ĞĢĪİĶĹĻĽŁŃŅŇŒŘŚŞŠŢŤŮŰŸŹŻŽҐ
        """

    /// `lower_accented`: 52 scalars.
    static let lowerAccented = """
        ßàáâãäåæçèéêëìíîïðñüāăąćčďđēėęěğ\
        ģīįķĺļľłœŕśşšťźżžґﬁﬂ
        """

    /// `upper_common`: 82 scalars.
    static let upperCommon = """
        ÞΆΈΉΊΌΎΏΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡ\u{3A2}ΣΤΥΦΧΨ\
        ΩΪΫЁЂЃЄЅІЇЈЉЊЋЌЍЎЏАБВГДЕЖЗИЙКЛМН\
        ОПРСТУФХЦЧШЩЪЫЬЭЮЯ
        """

    /// `lower_common`: 78 scalars.
    static let lowerCommon = """
        άέήίΰαβγδεζηθικλμνξοπρςστυφχψωаб\
        вгдежзийклмнопрстуфхцчшщъыьэюяѐё\
        ђѓєѕіїјљњћќѝўџ
        """

    /// `box`: 45 scalars.
    static let box = """
        │┌┐┘├┤┬┼═║╒╓╔╕╖╗╘╙╚╛╜╝╞╟╠╡╢╣╤╥╦╧\
        ╨╩╪╫╬▀▄█▌▐░▒▓
        """

    /// `utf8_first_of_2`: 124 scalars.
    static let utf8FirstOf2 = """
        ÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßĀĂ\
        ĆČĎĐĒĖĘĚĞĢĪİĶĹĻŁŃŅŇŌŐŘŚŞŠŢŪŮŰŲŹŻ\
        ŽΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩΪΫάέήίВГ\
        ДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ
        """

    /// `utf8_first_of_3`: 66 scalars.
    static let utf8FirstOf3 = """
        àáâãäåæçèéêëìíîïāăąćčďēėęěģīįķĺļ\
        ŕźΰαβγδεζηθικλμνξοабвгдежзийклмн\
        оп
        """

    /// `utf8_first_of_4`: 9 scalars.
    static let utf8FirstOf4 = """
        ðóđğšπσру
        """

    /// `utf8_continuation`: 159 scalars.
    static let utf8Continuation = """
        \u{20}\u{80}\u{81}\u{82}\u{83}\u{84}\u{85}\u{86}\u{87}\u{88}\u{89}\u{8A}\u{8B}\u{8C}\u{8D}\u{8E}\
        \u{8F}\u{90}\u{91}\u{92}\u{93}\u{94}\u{95}\u{96}\u{97}\u{98}\u{99}\u{9A}\u{9B}\u{9C}\u{9D}\u{9E}\
        \u{9F}\u{A0}¡¢£¤¥¦§¨©ª«¬\u{AD}®¯°±²³´µ¶·¸¹º»¼½¾\
        ¿ÆØæøĄąĽľŁłŒœŖŗŚśŞşŠšŤťŸŹźŻżŽžƒˆ\
        ˇ˘˛˜˝΄΅ΆΈΉΊΌΎΏЁЂЃЄЅІЇЈЉЊЋЌЎЏёђѓє\
        ѕіїјљњћќўџҐґ–—―‘’‚“”„†‡•…‰‹›€№™
        """

    /// `utf8_continuation_strict`: 147 scalars.
    static let utf8ContinuationStrict = """
        \u{80}\u{81}\u{82}\u{83}\u{84}\u{85}\u{86}\u{87}\u{88}\u{89}\u{8A}\u{8B}\u{8C}\u{8D}\u{8E}\u{8F}\
        \u{90}\u{91}\u{92}\u{93}\u{94}\u{95}\u{96}\u{97}\u{98}\u{99}\u{9A}\u{9B}\u{9C}\u{9D}\u{9E}\u{9F}\
        \u{A0}¡¢£¤¥¦§¨©ª«¬\u{AD}®¯°±²³´µ¶·¸¹º»¼½¾¿\
        ÆØæøĄąĽľŁłŒœŖŗŚśŞşŠšŤťŸŹźŻżŽžƒˆˇ\
        ˘˛˜˝΄΅ΆΈΉΊΌΎΏЁЂЃЄЅІЇЈЉЊЋЌЎЏёђѓєѕ\
        іїјљњћќўџҐґ†‡‰‹›€№™
        """
    // MARK: - Width map (chardata.WIDTH_MAP beyond U+FF5E)

    /// NFKC forms of the halfwidth/fullwidth forms U+FF5F...U+FFEF, as `SOURCE=TARGET[,TARGET]`
    /// in hex. (U+FF01...U+FF5E map to U+0021...U+007E and U+3000 to a space; see FTFY.swift.)
    static let widthMap = """
        FF5F=2985 FF60=2986 FF61=3002 FF62=300C FF63=300D FF64=3001 FF65=30FB FF66=30F2 \
        FF67=30A1 FF68=30A3 FF69=30A5 FF6A=30A7 FF6B=30A9 FF6C=30E3 FF6D=30E5 FF6E=30E7 \
        FF6F=30C3 FF70=30FC FF71=30A2 FF72=30A4 FF73=30A6 FF74=30A8 FF75=30AA FF76=30AB \
        FF77=30AD FF78=30AF FF79=30B1 FF7A=30B3 FF7B=30B5 FF7C=30B7 FF7D=30B9 FF7E=30BB \
        FF7F=30BD FF80=30BF FF81=30C1 FF82=30C4 FF83=30C6 FF84=30C8 FF85=30CA FF86=30CB \
        FF87=30CC FF88=30CD FF89=30CE FF8A=30CF FF8B=30D2 FF8C=30D5 FF8D=30D8 FF8E=30DB \
        FF8F=30DE FF90=30DF FF91=30E0 FF92=30E1 FF93=30E2 FF94=30E4 FF95=30E6 FF96=30E8 \
        FF97=30E9 FF98=30EA FF99=30EB FF9A=30EC FF9B=30ED FF9C=30EF FF9D=30F3 FF9E=3099 \
        FF9F=309A FFA0=1160 FFA1=1100 FFA2=1101 FFA3=11AA FFA4=1102 FFA5=11AC FFA6=11AD \
        FFA7=1103 FFA8=1104 FFA9=1105 FFAA=11B0 FFAB=11B1 FFAC=11B2 FFAD=11B3 FFAE=11B4 \
        FFAF=11B5 FFB0=111A FFB1=1106 FFB2=1107 FFB3=1108 FFB4=1121 FFB5=1109 FFB6=110A \
        FFB7=110B FFB8=110C FFB9=110D FFBA=110E FFBB=110F FFBC=1110 FFBD=1111 FFBE=1112 \
        FFC2=1161 FFC3=1162 FFC4=1163 FFC5=1164 FFC6=1165 FFC7=1166 FFCA=1167 FFCB=1168 \
        FFCC=1169 FFCD=116A FFCE=116B FFCF=116C FFD2=116D FFD3=116E FFD4=116F FFD5=1170 \
        FFD6=1171 FFD7=1172 FFDA=1173 FFDB=1174 FFDC=1175 FFE0=A2 FFE1=A3 FFE2=AC FFE3=20,304 \
        FFE4=A6 FFE5=A5 FFE6=20A9 FFE8=2502 FFE9=2190 FFEA=2191 FFEB=2192 FFEC=2193 FFED=25A0 \
        FFEE=25CB 
        """
}
