/* The officer terminal's MRZ reader: ICAO Doc 9303 TD1 (3 × 30), TD2 (2 × 36) and TD3
 * (2 × 44), every check digit verified (weights 7-3-1), each problem naming its field with the
 * same names as the service's answers (`mrz.document_number`, `mrz.date_of_birth`, …). The
 * service checks the MRZ again when the movement is recorded: this copy only lets the page
 * fill the traveller and name a bad check digit at once, before anything is sent. */
'use strict';

(() => {
  const LENGTHS = { 44: 'TD3', 36: 'TD2', 30: 'TD1' };
  const LINES = { TD1: 3, TD2: 2, TD3: 2 };

  function value(c) {
    if (c >= '0' && c <= '9') return c.charCodeAt(0) - 48;
    if (c >= 'A' && c <= 'Z') return c.charCodeAt(0) - 55;
    return 0;
  }

  /** The check digit of a field: weights 7, 3, 1 repeating; `<` = 0, A = 10 … Z = 35. */
  function checkDigit(field) {
    const w = [7, 3, 1];
    let sum = 0;
    for (let i = 0; i < field.length; i += 1) sum += value(field[i]) * w[i % 3];
    return String(sum % 10);
  }

  const trim = (s) => s.replace(/^<+|<+$/g, '');
  const words = (s) => s.split('<').filter((w) => w).join(' ');

  /** Cleans what a reader or a person typed: upper case, no spaces or line ends. */
  function clean(line) {
    return String(line).toUpperCase().replace(/[\s\r\n]+/g, '');
  }

  /** Checks one line as it arrives (`index` from 0): its length and characters. Answers a
   * problem `{field: 'mrz', code, args}` or null. */
  function checkLine(line, index, format) {
    if (!/^[A-Z0-9<]*$/.test(line)) {
      const bad = line.replace(/[A-Z0-9<]/g, '').slice(0, 3);
      return { field: 'mrz', code: 'bad_chars', args: [index + 1, bad] };
    }
    const expected = format ? { TD1: 30, TD2: 36, TD3: 44 }[format] : null;
    if (expected ? line.length !== expected : !LENGTHS[line.length]) {
      return { field: 'mrz', code: 'bad_length', args: [index + 1, line.length, expected] };
    }
    return null;
  }

  /** The format the first line announces, or null. */
  function formatOf(firstLine) {
    return LENGTHS[firstLine.length] || null;
  }

  function date(s) {
    if (!/^\d{6}$/.test(s)) return null;
    const yy = Number(s.slice(0, 2));
    const mm = Number(s.slice(2, 4));
    const dd = Number(s.slice(4, 6));
    if (mm < 1 || mm > 12 || dd < 1 || dd > 31) return null;
    return { yy, mm, dd };
  }

  /** Parses complete lines. Answers `{ok: true, mrz}` or `{ok: false, problems}`; each problem
   * is `{field, code, args}` (the page words it). */
  function parse(lines) {
    const problems = [];
    const format = formatOf(lines[0] || '');
    if (!format) return { ok: false, problems: [{ field: 'mrz', code: 'bad_length', args: [1, (lines[0] || '').length, null] }] };
    if (lines.length !== LINES[format]) {
      return { ok: false, problems: [{ field: 'mrz', code: 'line_count', args: [format, LINES[format], lines.length] }] };
    }
    lines.forEach((l, i) => {
      const p = checkLine(l, i, format);
      if (p) problems.push(p);
    });
    if (problems.length) return { ok: false, problems };

    const f = {};
    let numberField;
    let numberCd;
    let composite;
    let compositeCd;
    let optional = '';
    let optionalCheck = null;
    let names;
    let dobS;
    let dobCd;
    let expS;
    let expCd;
    const [a, b, c] = lines;
    f.documentCode = trim(a.slice(0, 2));
    f.issuingState = trim(a.slice(2, 5));
    if (format === 'TD3') {
      names = a.slice(5, 44);
      numberField = b.slice(0, 9);
      numberCd = b[9];
      f.nationality = trim(b.slice(10, 13));
      dobS = b.slice(13, 19); dobCd = b[19];
      f.sexRaw = b[20];
      expS = b.slice(21, 27); expCd = b[27];
      optional = b.slice(28, 42);
      optionalCheck = b[42];
      composite = b.slice(0, 10) + b.slice(13, 20) + b.slice(21, 43);
      compositeCd = b[43];
    } else if (format === 'TD2') {
      names = a.slice(5, 36);
      numberField = b.slice(0, 9);
      numberCd = b[9];
      f.nationality = trim(b.slice(10, 13));
      dobS = b.slice(13, 19); dobCd = b[19];
      f.sexRaw = b[20];
      expS = b.slice(21, 27); expCd = b[27];
      optional = b.slice(28, 35);
      composite = b.slice(0, 10) + b.slice(13, 20) + b.slice(21, 35);
      compositeCd = b[35];
    } else {
      numberField = a.slice(5, 14);
      numberCd = a[14];
      optional = a.slice(15, 30);
      dobS = b.slice(0, 6); dobCd = b[6];
      f.sexRaw = b[7];
      expS = b.slice(8, 14); expCd = b[14];
      f.nationality = trim(b.slice(15, 18));
      composite = a.slice(5, 30) + b.slice(0, 7) + b.slice(8, 15) + b.slice(18, 29);
      compositeCd = b[29];
      names = c;
    }

    // The document number; TD1 and TD2 numbers over 9 characters overflow into the optional
    // data, their check digit last (and `<` where the check digit would be).
    let number = numberField;
    let numberCheck = numberCd;
    if (format !== 'TD3' && numberCd === '<') {
      const overflow = optional.split('<')[0];
      number = numberField + overflow.slice(0, -1);
      numberCheck = overflow.slice(-1);
    }
    f.documentNumber = trim(number);
    if (!f.documentNumber) problems.push({ field: 'mrz.document_number', code: 'empty', args: [] });
    else if (checkDigit(number) !== numberCheck) {
      problems.push({ field: 'mrz.document_number', code: 'check_digit', args: [numberCheck, checkDigit(number)] });
    }

    if (!/^[A-Z]{1,2}$/.test(f.documentCode)) problems.push({ field: 'mrz.document_code', code: 'bad_value', args: [f.documentCode] });
    if (f.documentCode.startsWith('V')) problems.push({ field: 'mrz.document_code', code: 'visa', args: [] });
    if (!/^[A-Z]{1,3}$/.test(f.issuingState)) problems.push({ field: 'mrz.issuing_state', code: 'bad_value', args: [f.issuingState] });
    if (!/^[A-Z]{1,3}$/.test(f.nationality)) problems.push({ field: 'mrz.nationality', code: 'bad_value', args: [f.nationality] });

    f.dob = date(dobS);
    if (!f.dob) problems.push({ field: 'mrz.date_of_birth', code: 'bad_date', args: [dobS] });
    else if (checkDigit(dobS) !== dobCd) problems.push({ field: 'mrz.date_of_birth', code: 'check_digit', args: [dobCd, checkDigit(dobS)] });
    f.expiry = date(expS);
    if (!f.expiry) problems.push({ field: 'mrz.date_of_expiry', code: 'bad_date', args: [expS] });
    else if (checkDigit(expS) !== expCd) problems.push({ field: 'mrz.date_of_expiry', code: 'check_digit', args: [expCd, checkDigit(expS)] });

    if (!['M', 'F', '<', 'X'].includes(f.sexRaw)) problems.push({ field: 'mrz.sex', code: 'bad_value', args: [f.sexRaw] });
    f.sex = f.sexRaw === 'M' || f.sexRaw === 'F' ? f.sexRaw : 'X';

    if (format === 'TD3') {
      const empty = /^<*$/.test(optional);
      const ok = checkDigit(optional) === optionalCheck || (empty && optionalCheck === '<');
      if (!ok) problems.push({ field: 'mrz.optional_data', code: 'check_digit', args: [optionalCheck, checkDigit(optional)] });
    }
    if (checkDigit(composite) !== compositeCd) {
      problems.push({ field: 'mrz.composite', code: 'check_digit', args: [compositeCd, checkDigit(composite)] });
    }

    const [primary, ...rest] = names.split('<<');
    f.surname = words(primary || '');
    f.givenNames = words(rest.join('<<'));
    if (!f.surname) problems.push({ field: 'mrz.names', code: 'empty', args: [] });
    f.format = format;
    f.lines = lines.slice();
    return problems.length ? { ok: false, problems } : { ok: true, mrz: f };
  }

  /** The document type an MRZ's document code names (as the service reads it). */
  function documentType(code) {
    if (code.startsWith('P')) return 'passport';
    if (/^[IAC]/.test(code)) return 'id_card';
    return 'travel_document';
  }

  /** The date of birth an MRZ date stands for: the latest not after `notAfter` (ISO date). */
  function birthDate(d, notAfter) {
    const y = Number(notAfter.slice(0, 4));
    const century = y - (y % 100);
    for (const c of [century, century - 100]) {
      const iso = `${c + d.yy}-${String(d.mm).padStart(2, '0')}-${String(d.dd).padStart(2, '0')}`;
      const t = Date.parse(`${iso}T00:00:00Z`);
      if (!Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === iso && iso <= notAfter) return iso;
    }
    return null;
  }

  /** The expiry an MRZ date stands for: within 50 years either side of `today`. */
  function expiryDate(d, today) {
    const y = Number(today.slice(0, 4));
    let year = y - (y % 100) + d.yy;
    if (year < y - 50) year += 100;
    if (year > y + 50) year -= 100;
    return `${year}-${String(d.mm).padStart(2, '0')}-${String(d.dd).padStart(2, '0')}`;
  }

  window.CROSSINGS_MRZ = { checkDigit, checkLine, clean, formatOf, parse, documentType, birthDate, expiryDate, LINES };
})();
